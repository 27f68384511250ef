"""Bundled JSON Schemas, read with `importlib.resources` so they work from an installed wheel."""
