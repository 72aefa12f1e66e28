"""What automation tools read from the published NetBox, checked without a NetBox: platforms named as
netmiko and Ansible name them, primary addresses only on what automation should reach, and schoolnet's
books (drift digests) kept apart from the objects."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from netmiko.ssh_dispatcher import CLASS_MAPPER

from schoolnet.model.fleet import Fleet
from schoolnet.netbox import applied
from schoolnet.netbox.books import PREFIX, SHARD, Books, book_name
from schoolnet.netbox.desired import build_desired
from schoolnet.netbox.errors import NetboxError
from schoolnet.netbox.platforms import PLATFORMS, Platform
from schoolnet.validate import load_for_action
from tests.conftest import ROOT


def _collections() -> Path:
    spec = importlib.util.find_spec("ansible_collections")
    assert spec is not None and spec.submodule_search_locations, "the ansible package (its collections) is installed"
    return Path(next(iter(spec.submodule_search_locations)))


def _plugin(kind: str, name: str) -> Path:
    """Where Ansible finds a collection plugin `namespace.collection.plugin` of one kind."""
    namespace, collection, plugin = name.split(".")
    return _collections() / namespace / collection / "plugins" / kind / f"{plugin}.py"


@pytest.mark.parametrize(("os", "platform"), PLATFORMS.items(), ids=PLATFORMS.keys())
def test_a_platform_is_named_as_netmiko_and_ansible_name_it(os: str, platform: Platform) -> None:
    """Nornir takes host.platform from the platform's name or slug and hands it to netmiko as the device type;
    Ansible reads ansible_network_os (a cliconf or httpapi plugin) and ansible_connection from the context."""
    assert platform.netmiko in CLASS_MAPPER, f"{platform.netmiko} is no netmiko device type"
    if platform.network_os:
        connection = platform.connection.rsplit(".", 1)[-1]
        assert _plugin("connection", platform.connection).is_file(), platform.connection
        assert _plugin("cliconf" if connection == "network_cli" else connection, platform.network_os).is_file(), \
            f"{platform.network_os} is no network_os of Ansible's installed collections"
    else:
        assert not platform.connection


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return load_for_action(ROOT / "inventory")


def test_every_model_with_an_os_and_every_device_but_tablets_has_a_platform(fleet: Fleet) -> None:
    desired = build_desired(fleet)
    platforms = desired.objects["dcim.platform"]
    assert {key[0] for key in platforms} == {PLATFORMS[m.os].netmiko for m in fleet.hardware.models if m.os}
    for platform in platforms.values():
        assert platform.attrs["name"] == platform.attrs["slug"], "Nornir reads the name unless told the slug"
    kinds_without = {d.attrs["role"][0] for d in desired.objects["dcim.device"].values()  # type: ignore[index]
                     if d.attrs["platform"] is None}
    assert kinds_without == {"tablet"}, "firewalls, storage and PDUs too"
    contexts = desired.objects["extras.configcontext"]
    assert {c.attrs["platforms"] for c in contexts.values()} == {
        (p.netmiko,) for p in PLATFORMS.values() if p.network_os and p.netmiko in {k[0] for k in platforms}}
    cisco = json.loads(str(contexts[("schoolnet platform cisco_ios",)].attrs["data"]))
    assert cisco == {"ansible_network_os": "cisco.ios.ios", "ansible_connection": "ansible.netcommon.network_cli"}


def test_an_os_no_tool_names_fails_at_its_line(tmp_path: Path) -> None:
    import shutil
    inventory = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventory", inventory)
    hardware = inventory / "hardware.yaml"
    hardware.write_text(hardware.read_text().replace("os: apc-aos", "os: pdu-firmware"))
    line = hardware.read_text().splitlines().index("    os: pdu-firmware") + 1
    with pytest.raises(NetboxError, match="'pdu-firmware' names no platform") as caught:
        build_desired(load_for_action(inventory))
    assert str(caught.value).startswith(f"{hardware}:{line}:")


def test_only_active_devices_but_tablets_hold_a_primary_address(tmp_path: Path) -> None:
    """Ansible (has_primary_ip) and Nornir connect to the primary address: a tablet, or a device not active, is
    no target; its addresses stay, a tablet's with the DHCP status."""
    import shutil
    inventory = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventory", inventory)
    school = inventory / "schools" / "kangarli" / "nx-kan-008.yaml"
    school.write_text(school.read_text().replace("asset_tag: NX-KAN-008-SW2\n",
                                                 "asset_tag: NX-KAN-008-SW2\n    status: offline\n"))
    desired = build_desired(load_for_action(inventory))
    addressed = {a.attrs["assigned_object"][0] for a in desired.objects["ipam.ipaddress"].values()}  # type: ignore[index]
    devices = desired.objects["dcim.device"]
    for key, device in devices.items():
        reachable = device.attrs["role"] != ("tablet",) and device.attrs["status"] == "active" and key[0] in addressed
        assert (device.attrs["primary_ip4"] is not None) == reachable, key
    assert devices[("nx-kan-008-sw2",)].attrs["status"] == "offline" and "nx-kan-008-sw2" in addressed
    tablet_addresses = {a.attrs["status"] for a in desired.objects["ipam.ipaddress"].values()
                        if devices[a.attrs["assigned_object"][:1]].attrs["role"] == ("tablet",)}  # type: ignore[index]
    assert tablet_addresses == {"dhcp"}


def test_books_keep_digests_by_type_and_id_and_rewrite_only_what_changed() -> None:
    books = Books()
    books.record("dcim.device", 7, applied.digests({"serial": "A1", "status": "active"}))
    books.record("dcim.device", SHARD + 3, {"serial": "abcdef"})
    documents = books.documents()
    assert set(documents) == {f"{PREFIX}dcim.device 0", f"{PREFIX}dcim.device 1"}
    assert documents[book_name("dcim.device", 7)]["applied"] == {"7": f"serial:{applied.digest('A1')},status:"
                                                                      f"{applied.digest('active')}"}
    read = Books()  # as the next run reads them back from NetBox
    for oid, (name, data) in enumerate(documents.items()):
        read.load(name, oid, json.loads(json.dumps(data)))
    assert read.get("dcim.device", 7) == applied.digests({"serial": "A1", "status": "active"})
    assert read.get("dcim.device", 8) is None
    read.record("dcim.device", 7, applied.digests({"serial": "A1", "status": "active"}))
    assert read.documents() == {}, "an unchanged record rewrites no book"
    read.forget("dcim.device", SHARD + 3)
    assert read.documents() == {book_name("dcim.device", SHARD + 3): {"type": "dcim.device", "applied": {}}}
    read.load("schoolnet-applied dcim.device 9", 99, "not a book")  # unreadable: never written
    assert read.get("dcim.device", 9 * SHARD) is None
