"""Trigger Lambda: SageMaker Model Registry approval changes start the deploy repo's GitLab pipeline."""
