"""Switches: their configuration audited by feature against the build, and pushed over SSH."""
