"""Run notebook posts at build time, with a cache; see execution.py."""
