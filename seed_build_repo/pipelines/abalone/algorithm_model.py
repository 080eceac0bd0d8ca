"""Register the model for the built-in XGBoost *algorithm* container, without script-mode variables.

``ModelBuilder.register()`` (sagemaker 3.27, ``ModelBuilder._prepare_container_def``) always adds the
script-mode environment ``SAGEMAKER_PROGRAM`` and ``SAGEMAKER_SUBMIT_DIRECTORY``, empty when there is no entry
point. The built-in XGBoost container serves the model in algorithm mode only when ``SAGEMAKER_PROGRAM`` is
*absent*: present, even empty, it imports that user module and never answers ``/ping``, so CreateEndpoint
fails (github.com/aws/sagemaker-xgboost-container, src/sagemaker_xgboost_container/serving.py ``main()``).
Every endpoint the deploy repo builds from the package inherits the package's container environment, so the
variables must not be registered at all. ``tests/test_abalone_pipeline_definition.py`` checks the
registered container's environment, so an SDK change that moves this logic fails there.
"""

from __future__ import annotations

from typing import Any

from sagemaker.serve.model_builder import ModelBuilder

SCRIPT_MODE_VARIABLES = ("SAGEMAKER_PROGRAM", "SAGEMAKER_SUBMIT_DIRECTORY")


class AlgorithmModelBuilder(ModelBuilder):  # type: ignore[misc]
    """A ModelBuilder for a built-in algorithm image: empty script-mode variables are left out."""

    def _script_mode_env_vars(self) -> dict[str, Any]:
        variables: dict[str, Any] = dict(super()._script_mode_env_vars())
        for name in SCRIPT_MODE_VARIABLES:
            if not variables.get(name):
                variables.pop(name, None)
        return variables
