"""Seeder Lambda: the CloudFormation custom resource that creates a SageMaker project's GitLab repos."""
