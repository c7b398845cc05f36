"""The package version, in one place below everything that reads it (plans are keyed on it)."""

__version__ = "0.1.0"
