"""The one exception type the command-line entry points turn into a readable message and exit code."""


class DeployerError(Exception):
    """A failure the user can act on. The message names what is wrong and how to fix it."""
