"""Exceptions whose message is safe and actionable enough to be the CloudFormation ``Reason``."""


class SeederError(Exception):
    """A failure we understand: its message tells a platform engineer what to fix.

    Messages never contain tokens (they are built from names, paths and status codes only) and are
    passed through the redactor anyway before they leave the function.
    """


class DeadlineExceededError(SeederError):
    """The Lambda is about to time out: stop working and answer CloudFormation while we still can."""


class TransientGitLabError(SeederError):
    """GitLab kept failing with 5xx/429/timeouts until the retry budget ran out."""
