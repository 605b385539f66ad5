"""Benchmarks: each script prints a table and, with --write, records it in README.md."""
