"""Suite-wide pytest setup: fixtures shared across the Lambdas' and the sandbox's tests."""

# The GitLab REST emulator as pytest fixtures (gitlab_server, ...): see sandbox/sandbox/gitlab_emulator/.
pytest_plugins = ["sandbox.gitlab_emulator.pytest_plugin"]
