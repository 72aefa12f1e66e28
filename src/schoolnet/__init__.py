"""schoolnet: source of truth and deploy tool for a regional school network programme."""

__version__ = "0.1.0"
