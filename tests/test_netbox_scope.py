"""`netbox plan --limit` as data: what a limited plan creates, changes and deletes, on the reference programme.

NetBox's side is `synced()` (every desired object, owned, as a complete apply leaves it), or a part of
it; the same rules run against a real NetBox in tests/test_netbox.py.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest

from schoolnet.model.fleet import Fleet
from schoolnet.model.select import LimitError
from schoolnet.netbox.client import State
from schoolnet.netbox.desired import Desired, build_desired
from schoolnet.netbox.mapping import BY_NAME, Key
from schoolnet.netbox.plan import Plan, make_plan
from schoolnet.netbox.scope import Anchors, Limit, limit_of, within
from schoolnet.validate import load_for_action
from tests.conftest import ROOT
from tests.test_netbox_mapping import synced


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_for_action(ROOT / "inventory")


@pytest.fixture(scope="module")
def desired(fleet: Fleet) -> Desired:
    return build_desired(fleet)


def sadarak(fleet: Fleet) -> set[str]:
    return {school.id for school in fleet.schools if school.district == "sadarak"}


def keys(plan: Plan, action: str) -> set[tuple[str, Key]]:
    return {(change.type, change.key) for change in plan.changes if change.action == action}


def only(desired: Desired, chosen: set[tuple[str, Key]]) -> Desired:
    return Desired({name: {key: want for key, want in objects.items() if (name, key) in chosen}
                    for name, objects in desired.objects.items()})


@dataclass(frozen=True)
class Case:
    limits: tuple[str, ...]
    sites: set[str] | None      # the whole sites selected (None: the Sadarak district's schools)
    devices: set[str]           # devices selected one by one
    site_objects: set[str]      # sites created as something a selected device points at, or selected whole


CASES = {
    "a district and the data center": Case(("district:sadarak", "site:nx-dc1"), None, set(), set()),
    "one server": Case(("host:nx-sad-001-edge",), set(), {"nx-sad-001-edge"}, {"nx-sad-001"}),
    "a role in the data center": Case(("role:vpn-hub",), set(), {"nx-dc1-vpn-01"}, {"nx-dc1"}),
    "tablets by name": Case(("host:nx-sad-002-t00[1-3]",), set(), {"nx-sad-002-t001", "nx-sad-002-t002",
                                                                   "nx-sad-002-t003"}, {"nx-sad-002"}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_limited_first_plan_creates_what_the_selection_holds_and_what_it_points_at(
        fleet: Fleet, desired: Desired, case: Case) -> None:
    limit = limit_of(fleet, case.limits, desired.objects)
    assert limit is not None
    sites = sadarak(fleet) | {"nx-dc1"} if case.sites is None else case.sites
    assert (set(limit.sites), set(limit.devices)) == (sites, case.devices)
    plan = make_plan(desired, State(), limit=limit)
    created = keys(plan, "create")
    assert {c.action for c in plan.changes} == {"create"}
    anchors = Anchors(desired.objects)
    pointed_at = {attr.points_at(desired.objects[t][k].attrs[attr.name]) for t, k in created
                  for attr in BY_NAME[t].attrs if attr.is_ref}
    for type_name, key in created:
        if type_name == "dcim.site":
            assert key[0] in sites | case.site_objects, key
        elif BY_NAME[type_name].owner:  # nothing of another site or device, but what a selected one points at
            assert limit.holds(anchors.of(type_name, key)) or (type_name, key) in pointed_at, (type_name, key)
    # everything the selection holds is there, with the tag and every custom field
    for type_name, objects in desired.objects.items():
        for key in objects:
            if BY_NAME[type_name].owner and BY_NAME[type_name].owner != "self" and limit.writes(
                    anchors, type_name, key):
                assert (type_name, key) in created, (type_name, key)
    assert {k for t, k in created if t == "dcim.device"} == {
        k for k in desired.objects["dcim.device"] if limit.holds(anchors.of("dcim.device", k))}
    assert {k for t, k in created if t == "extras.customfield"} == set(desired.objects["extras.customfield"])
    # a limited apply then converges: the same limit plans nothing, a full plan only creates the rest
    applied = synced(only(desired, created))
    assert make_plan(desired, applied, limit=limit).changes == []
    rest = make_plan(desired, applied)
    assert keys(rest, "create") == {(t, k) for t, o in desired.objects.items() for k in o} - created
    assert {c.action for c in rest.changes} == {"create"}


def test_a_school_moved_out_of_the_limit_is_left_to_a_full_plan(fleet: Fleet, desired: Desired) -> None:
    moved = copy.deepcopy(desired)
    site = moved.objects["dcim.site"][("nx-sad-005",)]
    site.attrs["region"] = ("ordubad",)  # git moved it to Ordubad; NetBox still has it in Sadarak
    limit = Limit(("district:sadarak",), frozenset(sadarak(fleet) - {"nx-sad-005"}), frozenset())
    assert make_plan(moved, synced(desired), limit=limit).changes == []
    full = make_plan(moved, synced(desired))
    assert [(c.action, c.name, c.fields) for c in full.changes] == [
        ("update", "dcim.site nx-sad-005", {"region": (("sadarak",), ("ordubad",))})]


def test_a_limited_plan_deletes_only_what_netbox_places_in_a_selected_site(fleet: Fleet, desired: Desired) -> None:
    removed = copy.deepcopy(desired)
    gone: dict[str, set[tuple[str, Key]]] = {"nx-sad-012": set(), "nx-sad-001-t001": set()}
    anchors = Anchors(desired.objects)
    for type_name, objects in removed.objects.items():  # a whole school removed, and a tablet of another
        for key in list(objects):
            placed = anchors.of(type_name, key)
            for name in gone:
                if ("site", name) in placed or ("device", name) in placed:
                    del objects[key]
                    gone[name].add((type_name, key))
    assert gone["nx-sad-012"] and gone["nx-sad-001-t001"]
    # the inventory no longer selects nx-sad-012: a limited plan leaves it (and says nothing of it)
    limit = Limit(("district:sadarak",), frozenset(sadarak(fleet) - {"nx-sad-012"}), frozenset())
    plan = make_plan(removed, synced(desired), limit=limit)
    assert [c.action for c in plan.changes] == ["delete"] * len(gone["nx-sad-001-t001"])
    assert keys(plan, "delete") == gone["nx-sad-001-t001"]
    assert keys(make_plan(removed, synced(desired)), "delete") == gone["nx-sad-012"] | gone["nx-sad-001-t001"]


def test_drift_is_read_within_the_limit(fleet: Fleet, desired: Desired) -> None:
    limit = limit_of(fleet, ("school:nx-sad-001",), desired.objects)
    narrowed = within(desired, limit)
    assert {k[0] for k in narrowed.objects["dcim.site"]} == {"nx-sad-001"}
    assert all(k[0].startswith("nx-sad-001-") for k in narrowed.objects["dcim.device"])
    assert within(desired, None) is desired


@pytest.mark.parametrize(("limits", "says"), [
    (("school:",), "expected one of district:PATTERN"),
    (("color:red",), "expected one of district:PATTERN"),
    (("district:atlantis",), "matches no site and no device"),
    (("host:nx-zzz-*",), "matches no site and no device"),
])
def test_a_limit_that_selects_nothing_is_a_usage_error(fleet: Fleet, desired: Desired, limits: tuple[str, ...],
                                                       says: str) -> None:
    with pytest.raises(LimitError, match=says):
        limit_of(fleet, limits, desired.objects)
