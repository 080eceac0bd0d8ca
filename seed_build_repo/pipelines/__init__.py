"""Model-build code for this SageMaker project: the pipeline definition and its CLIs."""
