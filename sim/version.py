"""The package version (its own module, so modules that report it need not import the package)."""

__version__ = "0.1.0"
