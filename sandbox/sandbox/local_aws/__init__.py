"""The sandbox's local AWS: moto's server plus small, documented extensions (see README.md)."""
