"""Stage 3: addresses, resolved from the committed ledger by the programme's VLAN plan."""

from schoolnet.ipam.ledger import LedgerError, allocate
from schoolnet.ipam.plan import Addressing, AssignedAddress, SchoolAddressing, VlanSubnet

__all__ = ["Addressing", "AssignedAddress", "LedgerError", "SchoolAddressing", "VlanSubnet", "allocate"]
