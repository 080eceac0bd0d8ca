"""Release tooling: ``python -m release.package`` builds ``dist/``; ``python -m release.publish`` ships it."""
