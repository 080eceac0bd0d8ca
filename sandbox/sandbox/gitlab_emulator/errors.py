"""The one exception every layer raises to produce a GitLab error response."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error with GitLab's JSON body, e.g. ``ApiError(404, {"message": "404 Project Not Found"})``."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found(what: str) -> ApiError:
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not Found"})


def bad_request(message: str) -> ApiError:
    """Grape parameter errors use the ``error`` key, e.g. ``{"error": "ref is missing"}``."""
    return ApiError(400, {"error": message})


def invalid(field_errors: dict[str, list[str]]) -> ApiError:
    """Model validation errors: ``{"message": {"name": ["has already been taken"]}}``."""
    return ApiError(400, {"message": field_errors})


def forbidden() -> ApiError:
    return ApiError(403, {"message": "403 Forbidden"})


UNAUTHORIZED = {"message": "401 Unauthorized"}
