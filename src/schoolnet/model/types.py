"""Field types shared by the inventory models.

Models are strict: a YAML `no`, `on` or `0755` where text is expected is an
error, not a silent bool or octal number.  Formats of names, MACs and serials
are checked by validation rules (with their own codes), not here, so a bad
value is reported with a precise rule rather than a generic schema error.
"""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Text is one line of printable text (model/text.py), and short: it lands in comment lines, device
# descriptions and NetBox fields of 50 to 200 characters; a value of thousands would be refused there.
TEXT_MAX = 255
Text = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
OptionalText = Annotated[str, Field(max_length=TEXT_MAX)]  # may be empty
LongText = Annotated[str, Field(min_length=1, max_length=4096)]  # one line too: a public key, a URL
# Text that may hold line breaks (model/text.py: every other string is one line of printable text)
MultilineText = Annotated[str, Field(max_length=4096, json_schema_extra={"x-schoolnet-multiline": True})]
Name = Annotated[str, Field(min_length=1, max_length=253)]
LaxDate = Annotated[date, Field(strict=False)]
Network = Annotated[IPv4Network, Field(strict=False)]
Address = Annotated[IPv4Address, Field(strict=False)]
VlanId = Annotated[int, Field(ge=1, le=4094)]
Watts = Annotated[int, Field(ge=0, le=100_000)]
Mbps = Annotated[int, Field(ge=1, le=100_000)]

DeviceKind = Literal["edge", "server", "switch", "firewall", "storage", "pdu", "access_point", "tablet"]
DEVICE_KINDS: tuple[str, ...] = DeviceKind.__args__  # type: ignore[attr-defined]
DeviceStatus = Literal["planned", "staged", "active", "offline", "failed", "decommissioning"]
CircuitStatus = Literal["planned", "provisioning", "active", "offline", "deprovisioning", "decommissioned"]
TabletStatus = Literal["in_stock", "handed_over", "in_repair", "lost", "retired"]
ReceiverRole = Literal["class-teacher", "it-coordinator", "school-director", "deputy-director",
                       "student-guardian", "librarian"]


class Strict(BaseModel):
    """Base of every inventory model: unknown keys are errors, types are strict."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
