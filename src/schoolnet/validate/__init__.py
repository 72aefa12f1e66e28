"""Stage 4: cross-object validation rules (SN1xx-SN6xx) over the typed fleet."""

from schoolnet.validate.run import validate_fleet, validate_inventory

__all__ = ["validate_fleet", "validate_inventory"]
