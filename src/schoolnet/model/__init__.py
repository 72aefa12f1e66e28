"""Stage 2: the inventory as typed objects (pydantic), with programme defaults applied."""

from schoolnet.model.build import build_fleet, load_fleet, load_fleet_or_raise
from schoolnet.model.fleet import Fleet, Host

__all__ = ["Fleet", "Host", "build_fleet", "load_fleet", "load_fleet_or_raise"]
