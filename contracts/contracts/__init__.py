"""The contracts between the product's parts: one definition for every shared name and schema.

Imported by the seeder and trigger Lambdas (``scripts/release`` copies this package into both zips), by the
release scripts and by the sandbox. The seed repos cannot import it (each stands alone once seeded): they read
the same names from CI/CD variables, and ``tests/test_contracts.py`` checks the template's ``!Sub`` names and
the seed repos' variable names against this package.
"""
