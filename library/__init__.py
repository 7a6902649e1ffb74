"""Sudur's core: models, settings, errors, the on-disk store, imaging, scripts, IIIF builders, CLI."""

__version__ = "0.1.0"
