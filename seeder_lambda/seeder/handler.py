"""Lambda entry point of the seeder custom resource (``seeder.handler.lambda_handler``)."""

from typing import Any

from seeder import lifecycle


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    lifecycle.handle(event, context)
