"""Scripted edits for NetBox integration tests: a change in git, a hand edit in NetBox, a clean slate.

Each helper does one thing a person would do, so a test reads as a story:
`edit_inventory(...)` (a commit), `hand_edit(...)` (someone in the NetBox UI), `sync(...)`
(schoolnet netbox plan/apply), `wipe(...)` (back to an empty NetBox).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schoolnet.netbox.apply import ApplyResult, apply_plan
from schoolnet.netbox.client import endpoint, read_state
from schoolnet.netbox.desired import Desired, build_desired
from schoolnet.netbox.mapping import BY_NAME, CUSTOM_FIELDS, TAG, Key
from schoolnet.netbox.plan import Plan, make_plan
from schoolnet.validate import load_for_action


def edit_inventory(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in an inventory file (what a reviewed commit would do)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))


def plan_for(api: Any, inventory: Path, adopt: bool = False) -> Plan:
    return make_plan(build_desired(load_for_action(inventory)), read_state(api), adopt=adopt)


def sync(api: Any, inventory: Path, adopt: bool = False, overwrite_drift: bool = False) -> tuple[Plan, ApplyResult]:
    """plan + apply, as `schoolnet netbox apply` does."""
    plan = plan_for(api, inventory, adopt)
    return plan, apply_plan(api, plan, lambda _: None, overwrite_drift=overwrite_drift)


def object_id(api: Any, type_name: str, key: Key) -> int:
    return read_state(api, [t for t in BY_NAME.values() if t.name == type_name or _needed(type_name, t.name)]
                      ).objects[type_name][key].id


def _needed(type_name: str, other: str) -> bool:
    """Types whose keys make up `type_name`'s key (an interface's key holds its device's)."""
    object_type = BY_NAME[type_name]
    targets = {object_type.attr(n).target for n in object_type.identifiers}
    return other in targets or any(t is not None and _needed(t, other) for t in targets)


def hand_edit(api: Any, type_name: str, key: Key, **fields: Any) -> int:
    """Change an object in NetBox as a person would (PATCH through the API); returns its id."""
    oid = object_id(api, type_name, key)
    endpoint(api, BY_NAME[type_name]).update([{"id": oid, **fields}])
    return oid


def wipe(api: Any) -> None:
    """Delete everything schoolnet owns, then its tag and custom fields: an empty NetBox again."""
    plan = make_plan(Desired(), read_state(api))
    apply_plan(api, plan, lambda _: None, overwrite_drift=True)
    for name in CUSTOM_FIELDS:
        found = list(api.extras.custom_fields.filter(name=name))
        if found:
            api.extras.custom_fields.delete(found)
    tags = list(api.extras.tags.filter(slug=TAG))
    if tags:
        api.extras.tags.delete(tags)
