"""schoolnet's books: what it last wrote to each object it owns, kept apart from the objects.

`drift` needs, per owned object, a digest of every field as schoolnet last wrote it (applied.py).
Kept on the object (a custom field, as before), it reached every consumer of the object: Ansible's
nb_inventory and Nornir's NetBoxInventory2 put a device's custom fields in its host variables.
So the digests live in NetBox beside the objects, in config contexts of their own:

- one per type and 1,000 object ids (`schoolnet-applied dcim.device 0`), its `data` a JSON document
  `{"type": ..., "applied": {"<id>": "field:digest,..."}}`;
- **inactive** (`is_active: false`), with no assignment: NetBox renders only active contexts into a
  device's `config_context`, so no device, host variable or API read of a device carries them;
- owned by their description, like the custom fields (a config context's tags would say which
  devices it applies to).

A write of a type rewrites only the books of the ids it touched, four to a request; a no-change plan
reads them in one request per 1,000 books.  The reference programme's books are about 2 MB in all; one of
1,000 devices about 290 kB: NetBox takes a request body of up to 2.5 MB (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE), and its change log keeps the whole book before and after each write (about
0.6 MB for a change to one tablet), where the custom field's log entry was the object's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schoolnet.netbox import applied

PREFIX = "schoolnet-applied "
DESCRIPTION = "schoolnet's record of what it last wrote to each object it owns (drift); inactive: applies to no device"
SHARD = 1000  # object ids per book: NetBox's change log keeps every written book whole, before and after


def book_name(type_name: str, oid: int) -> str:
    return f"{PREFIX}{type_name} {oid // SHARD}"


@dataclass
class Books:
    """The digests of every owned object, by type and NetBox id, and which books a write changed."""

    entries: dict[str, dict[int, str]] = field(default_factory=dict)  # type -> id -> "field:digest,..."
    ids: dict[str, int] = field(default_factory=dict)                 # book name -> its config context's id
    dirty: set[str] = field(default_factory=set)

    def load(self, name: str, oid: int, data: Any) -> None:
        """One book as NetBox holds it; anything unreadable counts as never written."""
        self.ids[name] = oid
        if not isinstance(data, dict) or not isinstance(data.get("applied"), dict):
            return
        entries = self.entries.setdefault(str(data.get("type")), {})
        for key, text in data["applied"].items():
            if str(key).isdigit() and isinstance(text, str):
                entries[int(key)] = text

    def get(self, type_name: str, oid: int) -> dict[str, str] | None:
        text = self.entries.get(type_name, {}).get(oid)
        return None if text is None else applied.parse(text)

    def record(self, type_name: str, oid: int, digests: dict[str, str]) -> None:
        text = applied.render(digests)
        entries = self.entries.setdefault(type_name, {})
        if entries.get(oid) != text:
            entries[oid] = text
            self.dirty.add(book_name(type_name, oid))

    def forget(self, type_name: str, oid: int) -> None:
        if self.entries.get(type_name, {}).pop(oid, None) is not None:
            self.dirty.add(book_name(type_name, oid))

    def documents(self) -> dict[str, dict[str, Any]]:
        """The changed books, each as the `data` to write; the dirty set is emptied."""
        found: dict[str, dict[str, Any]] = {}
        for name in sorted(self.dirty):
            type_name, shard = name.removeprefix(PREFIX).rsplit(" ", 1)
            entries = self.entries.get(type_name, {})
            found[name] = {"type": type_name, "applied": {
                str(oid): entries[oid] for oid in sorted(entries) if oid // SHARD == int(shard)}}
        self.dirty.clear()
        return found
