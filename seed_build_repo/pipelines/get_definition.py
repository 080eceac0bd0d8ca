"""Print the pipeline definition JSON (builds it like run_pipeline does, starts nothing).

python -m pipelines.get_definition > definition.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from pipelines.abalone.config import ConfigError, config_from_env
from pipelines.abalone.pipeline import get_pipeline
from pipelines.cli_common import add_config_arguments, config_overrides, prepare_environment, quiet_sdk_logging


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_arguments(parser)
    args = parser.parse_args(argv)
    prepare_environment()
    quiet_sdk_logging()
    try:
        config = config_from_env(os.environ, **config_overrides(args))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    definition = json.loads(get_pipeline(config).definition())
    print(json.dumps(definition, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
