"""Deploy an approved SageMaker model package to a staging and a production endpoint.

Modules (one concept each):
- ``settings``: the CI/CD variables this repo needs, read once and validated.
- ``stage_config``: the per-stage settings in ``config/<stage>.json``.
- ``registry``: which model package to deploy (verification and newest-Approved resolution).
- ``stack_events`` / ``stack``: CloudFormation create-or-update with live progress.
- ``serving`` / ``latency``: the serving format and the latency statistics of the smoke test.
- ``promotion``: production tags (``prod-v<version>...``) and how to create one.
- ``resolve`` / ``resolve_prod`` / ``deploy`` / ``smoke_test`` / ``promotion``: the command-line entry points
  used by ``.gitlab-ci.yml``;
  ``cli`` turns their known failures into one ``ERROR:`` line, ``errors`` holds the exception they raise.
"""
