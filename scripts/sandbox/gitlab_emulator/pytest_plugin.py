"""pytest fixtures for the GitLab emulator (being written)."""
