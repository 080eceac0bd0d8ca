"""Coverage figures from one pytest run: the product code under a gate, the sandbox rig on its own.

The product is what ships: both Lambdas, the contracts they share, the release scripts and the two seed
repos' code that every project receives. The sandbox (``sandbox/sandbox``) is the test rig: its figure is
printed so it stays visible, but it does not dilute or carry the product's gate.

Usage: ``python scripts/coverage_gate.py [--product-min 90]`` after ``pytest --cov``.
"""

from __future__ import annotations

import argparse
import sys

import coverage

PRODUCT = [
    "contracts/contracts/*",
    "seeder_lambda/seeder/*",
    "trigger_lambda/trigger/*",
    "token_monitor_lambda/token_monitor/*",
    "scripts/release/*",
    "seed_build_repo/pipelines/*",
    "seed_deploy_repo/deployer/*",
]
SANDBOX = ["sandbox/sandbox/*"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product-min", type=float, default=90.0)
    args = parser.parse_args(argv)
    cov = coverage.Coverage()
    cov.load()
    print("\n---- product code (Lambdas, contracts, release, seed repos)")
    product = cov.report(include=PRODUCT, skip_covered=True, show_missing=False)
    print("\n---- sandbox (test rig)")
    sandbox = cov.report(include=SANDBOX, skip_covered=True, show_missing=False)
    print(f"\ncoverage: product {product:.1f}% (gate {args.product_min:.0f}%), sandbox {sandbox:.1f}%")
    if product < args.product_min:
        print(f"FAIL: product coverage {product:.1f}% is below {args.product_min:.0f}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
