"""The emulated REST v4 endpoints (``/api/v4/...``): importing this module registers every route.

One module per resource, each naming its sources:
- ``api_groups.py``: the caller (version, user, token), groups, project listings;
- ``api_projects.py``: projects (create, read, update, archive, unarchive, delete);
- ``api_repository.py``: commits, branches, tree, files;
- ``api_tags.py``: tags and protected tags;
- ``api_variables.py``: project CI/CD variables;
- ``api_pipelines.py``: pipeline triggers, pipelines, jobs;
- ``resource_groups.py``: resource groups.

Roles as in GitLab: reading needs membership (or a non-private project), commits need Developer, settings,
variables and triggers need Maintainer, archive/unarchive/delete need Owner. Anything else answers 404
``{"error": "404 Not Found"}`` like GitLab's router. Not emulated: merge requests, issues, protected
branches, environments, webhooks, the admin API (seed data is created in Python, see ``state.py``).
"""

from __future__ import annotations

from . import (  # noqa: F401  (each registers its routes)
    api_groups,
    api_pipelines,
    api_projects,
    api_repository,
    api_tags,
    api_variables,
    resource_groups,
)
