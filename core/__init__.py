"""WardHub kernel: knows no domain. Plugins import from :mod:`core.toolkit`."""

__version__ = "0.1.0"
