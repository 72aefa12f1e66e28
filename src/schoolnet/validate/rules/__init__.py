"""Importing this package registers every rule (one module per family of rules)."""

from schoolnet.validate.rules import addressing, fleet, links, names, racks, references, uniqueness

__all__ = ["addressing", "fleet", "links", "names", "racks", "references", "uniqueness"]
