"""When each owned device was last seen, in its `schoolnet_last_seen` custom field.

An observation is not inventory: plan, apply and drift never compare this field (git holds no value for
it), and only `schoolnet netbox last-seen` writes it, from the observations it is given.  A value only
moves forward: an older observation never overwrites a newer one someone else's run wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schoolnet.netbox.client import endpoint, rows, talking
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.mapping import BY_NAME, TAG

FIELD = "schoolnet_last_seen"
CHUNK = 500


def write_last_seen(api: Any, seen: dict[str, datetime]) -> tuple[int, int]:
    """Set the field on each owned device `seen` names, where it is newer; (updated, owned devices seen)."""
    devices = endpoint(api, BY_NAME["dcim.device"])
    with talking(api, "reading the custom fields"):
        fields = {f["name"] for f in rows(api, f"{api.base_url}/extras/custom-fields/", {"fields": "name"})}
    if FIELD not in fields:
        raise NetboxError(f"NetBox has no custom field {FIELD}: run `schoolnet netbox apply` first")
    updates: list[dict[str, Any]] = []
    owned = 0
    with talking(api, "reading the owned devices"):
        for row in rows(api, devices.url, {"tag": TAG, "fields": "id,name,custom_fields"}):
            when = seen.get(str(row.get("name")))
            if when is None:
                continue
            owned += 1
            held = _when((row.get("custom_fields") or {}).get(FIELD))
            if held is None or held < when:
                updates.append({"id": row["id"], "custom_fields": {FIELD: when.isoformat()}})
    for start in range(0, len(updates), CHUNK):
        with talking(api, f"writing {FIELD}"):
            devices.update(updates[start:start + CHUNK])
    return len(updates), owned


def _when(value: object) -> datetime | None:
    """NetBox's value as an aware time; None when there is none or it does not read (it is then written)."""
    try:
        held = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return held.replace(tzinfo=UTC) if held is not None and held.tzinfo is None else held
