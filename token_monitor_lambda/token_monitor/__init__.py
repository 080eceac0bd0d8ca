"""Daily check of the platform's GitLab access token: warns the platform team before it expires."""
