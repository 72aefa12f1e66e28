"""Drift: owned objects edited in NetBox by hand since schoolnet wrote them, with who and when.

A change in git and a hand edit both make NetBox differ from git; they are told apart by
the per-field digests schoolnet writes on every object it owns (applied.py): a field whose
NetBox value no longer hashes to its digest was changed by someone else.  Who and when
come from NetBox's change log (/api/core/object-changes/), read for drifted objects only,
a hundred objects a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schoolnet.netbox.client import State, rows, talking
from schoolnet.netbox.desired import Desired
from schoolnet.netbox.mapping import BY_NAME, Kind
from schoolnet.netbox.plan import DriftField, drifted

CHANGES_PER_REQUEST = 100


@dataclass(frozen=True)
class Drift(DriftField):
    """A drifted field with who changed it and when."""

    user: str | None = None  # from NetBox's change log; None when the log no longer has it
    time: str | None = None


def drift_fields(desired: Desired, state: State) -> list[DriftField]:
    """Every hand-edited field of every owned object git still describes (reads nothing)."""
    found: list[DriftField] = []
    for type_name, wanted in desired.objects.items():
        present = state.objects.get(type_name, {})
        for key, want in wanted.items():
            have = present.get(key)
            if have is not None and have.owned:
                found.extend(drifted(want, have))
    return found


def _logged(data: Any, type_name: str, field: str) -> Any:
    """A field's value in a change-log snapshot (custom fields and references as NetBox logs them)."""
    if not isinstance(data, dict):
        return None
    attr = BY_NAME[type_name].attr(field)
    if attr.custom:
        return (data.get("custom_fields") or {}).get(field)
    if attr.kind is Kind.GENERIC:
        return data.get(f"{field}_type"), data.get(f"{field}_id")
    return data.get(field)


def find_drift(api: Any, desired: Desired, state: State) -> list[Drift]:
    """Drifted fields, each with the newest logged change of that field: who made it and when."""
    fields = drift_fields(desired, state)
    by_type: dict[str, dict[int, list[DriftField]]] = {}
    for item in fields:
        by_type.setdefault(item.type, {}).setdefault(item.id, []).append(item)
    who: dict[tuple[str, int, str], tuple[str | None, str | None]] = {}
    url = api.core.object_changes.url
    for type_name, objects in by_type.items():
        ids = sorted(objects)
        for start in range(0, len(ids), CHANGES_PER_REQUEST):
            filters = {"changed_object_type": type_name, "changed_object_id": ids[start:start + CHANGES_PER_REQUEST],
                       "fields": "id,changed_object_id,time,user_name,prechange_data,postchange_data"}
            with talking(api, f"reading the change log of {type_name}"):
                changes = sorted(rows(api, url, filters), key=lambda c: int(c["id"]), reverse=True)
            for change in changes:  # newest first: the first change of a field is the edit that stands
                for item in objects.get(int(change["changed_object_id"]), []):
                    slot = (type_name, item.id, item.field)
                    before = _logged(change.get("prechange_data"), type_name, item.field)
                    after = _logged(change.get("postchange_data"), type_name, item.field)
                    if slot not in who and before != after:
                        who[slot] = (change.get("user_name"), change.get("time"))
    return [Drift(f.type, f.key, f.id, f.location, f.field, f.git, f.netbox,
                  *who.get((f.type, f.id, f.field), (None, None))) for f in fields]
