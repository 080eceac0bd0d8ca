"""The sandbox's local web console (127.0.0.1) and live terminal progress; see README.md in this folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.console.server import Console
from sandbox.console.sources import Sources

if TYPE_CHECKING:
    from sandbox.cloud import LocalCloud

__all__ = ["Console", "Sources", "sources_for"]


def sources_for(cloud: LocalCloud) -> Sources:
    """The console's view of a running local cloud, as the team's ML engineer (Maintainer) sees it."""
    from sandbox.cloud import GROUP_PATH

    return Sources(
        aws=cloud.aws.client, gitlab=cloud.gitlab_client, group_path=GROUP_PATH, region=cloud.aws.region
    )
