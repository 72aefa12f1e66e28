"""Observed against declared: each difference a problem with a rule code, at the inventory line to change.

The rules are small registered functions, as validate's are; each reads the latest snapshot (and,
for "not seen since", the history) beside the validated fleet.  What could not be observed is said,
never guessed: a server's serial in a container (it shares its machine's DMI) is not compared, and a
tablet is judged unseen only when something at its school was observed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.school import School, Tablet
from schoolnet.model.topology import school_switch_links
from schoolnet.observe.sightings import Sighting, last_seen, normalise_mac, sightings
from schoolnet.observe.snapshot import Observation, Snapshot
from schoolnet.problems import Location, Problem, Severity
from schoolnet.rulebook import declare, problem

STAGE = "observe"


@dataclass
class Evidence:
    """What the rules read: the fleet, the latest snapshot, the history, and indexes built once."""

    fleet: Fleet
    snapshot: Snapshot
    history: list[Snapshot]
    unavailable_services: frozenset[str] = frozenset()
    services_run: bool = True  # False where hosts have no init to run them (the lab's chroot runner)
    hosts: dict[str, Host] = field(init=False)
    macs_of: dict[str, set[str]] = field(init=False)  # host -> its own MACs, from its newest good observation
    seen: dict[str, list[Sighting]] = field(init=False)
    tablets: dict[str, tuple[School, int, Tablet]] = field(init=False)
    unobservable: dict[str, str] = field(default_factory=dict)  # host -> why its serial was not compared

    def __post_init__(self) -> None:
        self.hosts = {h.hostname: h for h in self.fleet.hosts}
        self.macs_of = {}
        for snapshot in self.history:
            for name, observation in snapshot.observations.items():
                if observation.ok and name not in self.macs_of and observation.facts.get("macs"):
                    self.macs_of[name] = {normalise_mac(str(m)) for m in observation.facts["macs"].values()} - {""}
        self.seen = sightings(self.fleet, self.snapshot)
        self.tablets = {normalise_mac(t.mac): (s, i, t) for s in self.fleet.schools for i, t in enumerate(s.tablets)}

    @cached_property
    def last_seen(self) -> dict[str, Sighting]:
        """MAC -> its most telling sighting in the newest run that saw it, over the whole history."""
        return last_seen(self.fleet, self.history)

    def observed(self, host: Host) -> Observation | None:
        found = self.snapshot.observations.get(host.hostname)
        return found if found is not None and found.ok else None

    def ports_learning(self, switch: Host, peer: Host) -> set[str] | None:
        """The switch's ports where it learned one of `peer`'s own MACs; None when the switch was not observed
        or the peer's MACs are not known (it never reported them)."""
        seen, macs = self.observed(switch), self.macs_of.get(peer.hostname, set())
        if seen is None or not macs:
            return None
        return {str(e.get("port")) for e in seen.facts.get("mac_table", []) if normalise_mac(str(e.get("mac"))) in macs}

    def same_port(self, peer: Host, said: str, want: str | None) -> bool:
        """LLDP's port ID names the port (any case), or, as lldpd sends by default, is one of the peer's MACs."""
        if want is None or said.lower() == want.lower():
            return True
        mac = normalise_mac(said)
        return bool(mac) and (mac in self.macs_of.get(peer.hostname, {mac}))

    def where(self, host: Host, *path: Any) -> Location:
        """The host's own line for `path` when the file writes it, else the host's first line."""
        data: Any = self.fleet.doc(host.owner).data
        for part in (*host.path, *path):
            try:
                data = data[part]
            except (KeyError, IndexError, TypeError):
                return self.fleet.host_location(host)
        return self.fleet.host_location(host, *path)


Difference = Callable[[Evidence], Iterator[Problem]]
DIFFERENCES: list[Difference] = []


def difference(code: str, name: str, doc: str, *, bad: str, good: str,
               severity: Severity = Severity.ERROR) -> Callable[[Difference], Difference]:
    def register(check: Difference) -> Difference:
        declare(code, name, doc, bad=bad, good=good, stage=STAGE, severity=severity)
        DIFFERENCES.append(check)
        return check
    return register


def reconcile(evidence: Evidence) -> list[Problem]:
    return [p for check in DIFFERENCES for p in check(evidence)]


def evidence_for(fleet: Fleet, environment: str, history: list[Snapshot]) -> Evidence:
    """The evidence of an environment's observations, newest first, judged as its file says its hosts run."""
    env = fleet.environments.get(environment)
    return Evidence(fleet, history[0], history, frozenset(env.unavailable_services) if env else frozenset(),
                    env.start_services if env else True)


@difference("SN950", "not-observed", "A host or switch could not be observed in the latest run: nothing about it "
            "was compared.", severity=Severity.WARNING,
            bad="observe: nx-sad-002-edge unreachable", good="observe: every selected host answered")
def not_observed(ev: Evidence) -> Iterator[Problem]:
    for name, observation in sorted(ev.snapshot.observations.items()):
        host = ev.hosts.get(name)
        if host is not None and not observation.ok:
            yield problem("SN950", ev.fleet.host_location(host), f"{name} was not observed "
                          f"({ev.snapshot.name}): {observation.reason}", "reach it, then run schoolnet observe again")


@difference("SN951", "hardware-differs", "The serial number or model a device reports is not the one the inventory "
            "records: it was replaced without a record, or the record is wrong.",
            bad="serial: 46GOFBD   # the server says 8ZC6E8A", good="serial: 8ZC6E8A")
def hardware_differs(ev: Evidence) -> Iterator[Problem]:
    for host in ev.fleet.hosts:
        observation = ev.observed(host)
        if observation is None:
            continue
        facts = observation.facts
        if facts.get("unobservable"):
            ev.unobservable[host.hostname] = str(facts["unobservable"])
            continue
        serial = str(facts.get("serial") or "")
        if serial and serial.strip().upper() != host.serial.strip().upper():
            yield problem("SN951", ev.where(host, "serial"), f"{host.hostname} reports serial {serial}, the "
                          f"inventory says {host.serial}", "record the replacement (serial, asset tag, host key), "
                          "or find the device that was swapped")
        model = ev.fleet.catalog.get(host.model)
        seen = str(facts.get("model") or "")
        if model is not None and seen and not _same_model(model.model, seen):
            yield problem("SN951", ev.where(host, "model"), f"{host.hostname} reports model {seen}, the inventory "
                          f"says {model.id} ({model.vendor} {model.model})", "correct the model, or the hardware")


def _same_name(advertised: str, hostname: str) -> bool:
    """LLDP's system name is the host's name, or its fully qualified name (an `ip domain name`, lldpd's default)."""
    return advertised.split(".", 1)[0].lower() == hostname.lower()


def _same_model(catalogue: str, reported: str) -> bool:
    """"Catalyst C1000-24P-4G-L" is the C1000-24P-4G-L a switch names itself; "PowerEdge R260" the DMI's."""
    def plain(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())
    return plain(reported) in plain(catalogue) or plain(catalogue) in plain(reported)


@difference("SN952", "neighbour-differs", "A switch's uplink does not lead where the inventory says: LLDP shows "
            "another neighbour, another port, or the neighbour on another port of the switch.",
            bad="uplink_port: XGigabitEthernet0/0/1   # LLDP sees the edge server on 0/0/2",
            good="uplink_port: XGigabitEthernet0/0/2")
def neighbour_differs(ev: Evidence) -> Iterator[Problem]:
    for school in ev.fleet.schools:
        for link in school_switch_links(ev.fleet, school):
            observation = ev.observed(link.switch)
            if observation is None or "lldp" not in observation.facts:
                continue
            neighbours = [(str(n.get("local_port")), str(n.get("system_name")), str(n.get("port_id")))
                          for n in observation.facts["lldp"]]
            on_port = [(name, port) for local, name, port in neighbours if local == link.port]
            want = (link.peer.hostname, link.peer_port)
            if any(_same_name(name, want[0]) and ev.same_port(link.peer, port, want[1]) for name, port in on_port):
                continue
            elsewhere = [local for local, name, _ in neighbours if _same_name(name, link.peer.hostname)]
            if not on_port and not elsewhere:  # no LLDP from the peer (a server without lldpd): its MACs tell
                ports = ev.ports_learning(link.switch, link.peer)
                if ports is None or link.port in ports:
                    continue  # nothing to go by, or the peer is behind the uplink
                elsewhere = sorted(ports)
            said = ", ".join(f"{name} {port}" for name, port in on_port) or \
                ("no neighbour" + (f"; {want[0]} is behind {elsewhere[0]}" if elsewhere else ""))
            hint = (f"the cable is on {elsewhere[0]}: set uplink_port: {elsewhere[0]}, or move the cable"
                    if elsewhere else f"plug {link.port} into {want[0]} {want[1] or ''}".rstrip()
                    + ", or correct the inventory")
            yield problem("SN952", ev.where(link.switch, "uplink_port"), f"{link.switch.hostname} {link.port} "
                          f"should lead to {want[0]} {want[1] or ''}".rstrip() + f"; LLDP sees {said}", hint)


@difference("SN953", "tablet-elsewhere", "A tablet's MAC is seen at another school than the one whose file lists it: "
            "it moved without a record.",
            bad="# nx-sad-001.yaml lists the tablet; nx-sad-002's switch sees it",
            good="schoolnet tablets move SERIAL --to nx-sad-002")
def tablet_elsewhere(ev: Evidence) -> Iterator[Problem]:
    for mac, seen in sorted(ev.seen.items()):
        owner = ev.tablets.get(mac)
        if owner is None:
            continue
        school, index, tablet = owner
        # a switch's access port says where it is plugged in now; a lease only that it was given an address
        # (dnsmasq keeps a lease until it expires), so leases count only where no switch saw the MAC
        plugged = [s for s in seen if s.access] or ([] if any(s.port for s in seen) else
                                                    [s for s in seen if s.address])
        other = next((s for s in plugged if s.school not in (None, school.id)), None)
        if other is None or any(s.school == school.id for s in plugged):
            continue
        related = ev.fleet.schools_by_id.get(other.school or "")
        there = f" (whose file is {ev.fleet.loc(related, 'id')})" if related is not None else ""
        yield problem("SN953", ev.fleet.loc(school, "tablets", index, "mac"),
                      f"tablet {tablet.serial} of {school.id} is seen at {other.where()}{there}",
                      f"schoolnet tablets move {tablet.serial} --to {other.school}, or bring it back",
                      (ev.fleet.loc(related, "id"),) if related is not None else ())


@difference("SN954", "tablet-unseen", "A handed-over tablet has not been seen on its school's network for longer "
            "than programme.yaml's observe.unseen_days (or never), while its school has been observed that long and "
            "is observed now.",
            bad="status: handed_over   # last seen 40 days ago", good="status: lost   # or find it")
def tablet_unseen(ev: Evidence) -> Iterator[Problem]:
    days = ev.fleet.programme.observe.unseen_days
    cutoff = ev.snapshot.taken_at - timedelta(days=days)
    observed_since: dict[str, datetime] = {}  # school -> its earliest observation in the history
    for snapshot in ev.history:
        for name, observation in snapshot.observations.items():
            host = ev.hosts.get(name)
            if observation.ok and host is not None and host.school is not None:
                observed_since[host.school.id] = min(snapshot.taken_at, observed_since.get(host.school.id,
                                                                                           snapshot.taken_at))
    observed_schools = {school for school, since in observed_since.items() if since <= cutoff} & \
        {h.school.id for h in ev.fleet.hosts if h.school is not None and ev.observed(h) is not None}
    if not observed_schools:
        return
    last = ev.last_seen
    for school in ev.fleet.schools:
        if school.id not in observed_schools:
            continue
        for index, tablet in enumerate(school.tablets):
            if tablet.status != "handed_over":
                continue
            sighting = last.get(normalise_mac(tablet.mac))
            if sighting is not None and sighting.at >= cutoff:
                continue
            when = f"last seen {sighting.at:%Y-%m-%d} at {sighting.where()}" if sighting else \
                f"not seen in {len(ev.history)} observation(s)"
            yield problem("SN954", ev.fleet.loc(school, "tablets", index, "status"),
                          f"tablet {tablet.serial} is handed over and {when} (more than {days} days)",
                          "find it, or record it: status lost, in_repair or in_stock")


@difference("SN955", "unknown-mac", "A MAC the inventory does not know is on a school's tablet or staff VLAN "
            "(programme.yaml observe.watched_vlans).",
            bad="# an unknown laptop on VLAN 30", good="# every device on VLAN 30 is a tablet of the school")
def unknown_macs(ev: Evidence) -> Iterator[Problem]:
    watched = {v.vid: v.name for v in ev.fleet.programme.vlans if v.name in ev.fleet.programme.observe.watched_vlans}
    own = set().union(*ev.macs_of.values()) if ev.macs_of else set()
    reported: set[tuple[str, str]] = set()
    for mac, seen in sorted(ev.seen.items()):
        if mac in ev.tablets or mac in own:
            continue
        for sighting in seen:  # plugged into an access port: a trunk carries every device behind it
            if not sighting.access or sighting.school is None or sighting.vlan not in watched or \
                    (sighting.school, mac) in reported:
                continue
            reported.add((sighting.school, mac))
            school = ev.fleet.schools_by_id[sighting.school]
            yield problem("SN955", ev.fleet.loc(school, "id"), f"unknown MAC {mac} on the {watched[sighting.vlan]} "
                          f"VLAN of {school.id}: {sighting.where()}",
                          "add the device to the inventory, or take it off the network")


@difference("SN956", "service-missing", "A package a host's roles install is missing, or a service they run is not "
            "running.", bad="roles: [base, dhcp]   # dnsmasq is stopped",
            good="schoolnet deploy --limit host:NAME   # puts it back")
def services_missing(ev: Evidence) -> Iterator[Problem]:
    for host in ev.fleet.hosts:
        observation = ev.observed(host)
        if observation is None:
            continue
        facts = observation.facts
        missing = [p for p, ok in facts.get("packages", {}).items() if not ok]
        stopped = [s for s, ok in facts.get("services", {}).items()
                   if not ok and ev.services_run and s not in ev.unavailable_services]
        if missing or stopped:
            said = "; ".join(part for part in (f"package(s) missing: {', '.join(missing)}" if missing else "",
                                               f"not running: {', '.join(stopped)}" if stopped else "") if part)
            yield problem("SN956", ev.where(host, "roles"), f"{host.hostname}: {said}",
                          f"schoolnet deploy --env {ev.snapshot.environment} --limit host:{host.hostname} puts them "
                          "back")
