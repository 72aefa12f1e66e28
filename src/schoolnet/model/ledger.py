"""ipam.yaml: the committed address ledger, school id -> prefix."""

from __future__ import annotations

from pydantic import Field

from schoolnet.model.types import Name, Network, Strict


class Ledger(Strict):
    supernet: Name = Field("schools", description="which programme supernet the prefixes come from")
    allocations: dict[Name, Network] = Field(default_factory=dict)
