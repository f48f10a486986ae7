"""jixiao's version, in a module of its own: the plan cache keys on it and every report prints
it, and neither should have to import a renderer to learn it. Kept equal to pyproject.toml's by
tests/test_cli.py."""

VERSION = "0.1.0"
