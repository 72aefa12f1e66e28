"""Stage 4: cross-object validation rules (SN1xx-SN6xx) over the typed fleet."""

from schoolnet.validate.run import load_for_action, validate_fleet, validate_inventory

__all__ = ["load_for_action", "validate_fleet", "validate_inventory"]
