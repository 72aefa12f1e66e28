"""What must hold before any host is touched, for `schoolnet plan|deploy` and plain pyinfra alike.

The inventory validates (every rule); the environment exists; no host selected by name is still
planned or staged (see `installed`); the deploy key can be read, for the hosts left to reach
(`schoolnet.deploy.connection.usable_environment`); each selected host's build is fresh (made
from its inputs as they are now, see `schoolnet.render.freshness`); and every selected file passes
`check`.  Anything else raises InventoryError with file:line problems (UnusableEnvironment for the
environment), naming each host, before a connection is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schoolnet.check import check_build
from schoolnet.deploy.bridge import deployable
from schoolnet.deploy.connection import usable_environment
from schoolnet.inventory.yamlload import display_name
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.select import parse_limit, select_hosts
from schoolnet.problems import InventoryError, Location
from schoolnet.render.engine import MANIFEST_VERSION, load_manifest
from schoolnet.render.freshness import Inputs, stale_hosts
from schoolnet.render.templates import TemplateHeaderError, discover
from schoolnet.rulebook import declare, problem
from schoolnet.secrets import open_store
from schoolnet.secrets.store import SopsSecrets
from schoolnet.validate import load_for_action
from schoolnet.validate.rules.names import NOT_INSTALLED

declare("SN820", "stale-build", "A selected host's files in build/ were rendered from inventory data, templates "
        "or secrets that have changed since (or never rendered): deploying them would push an old intent.",
        bad="(a school added, then `render --limit` of another: the VPN hub's peers are stale)",
        good="schoolnet render", stage="deploy")


declare("SN821", "not-installed", "A host named for a deploy, plan, switch audit, push or rotation (`--limit "
        "host:NAME`, or every host the limits select) is planned or staged: it is not installed yet, so there is "
        "nothing to reach and no pinned host key to check it by. Limits that also select installed hosts skip it "
        "with a note.", bad="status: planned  # and `schoolnet deploy --limit host:nx-ord-017-edge`",
        good="status: active, its ssh_host_key pinned (switches: `schoolnet switches onboard`)", stage="deploy")


class NothingSelected(ValueError):
    """The limits select no deployable host: a usage error."""


@dataclass
class Ready:
    """A validated fleet, the hosts to act on, and the build that may be pushed to them."""

    fleet: Fleet
    hosts: list[Host]
    build: Path
    manifest: dict[str, Any]
    secrets: SopsSecrets
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    """A selected host left out because it is not installed yet (planned or staged)."""

    hostname: str
    kind: str
    status: str
    where: Location

    def line(self) -> str:
        todo = _todo(self.hostname, self.kind)
        return f"{self.hostname}: skipped: {self.status} ({self.where}); to include it, {todo}"


def _todo(hostname: str, kind: str = "") -> str:
    if kind == "switch":
        return (f"pin its key with `schoolnet switches onboard --env ENV --limit host:{hostname}` and set "
                "status: active")
    return "once it is installed, pin its ssh_host_key from ssh-keyscan on a trusted network and set status: active"


def installed(fleet: Fleet, hosts: list[Host], limits: tuple[str, ...] | list[str]) -> tuple[list[Host], list[Skipped]]:
    """The hosts to act on, and the planned or staged ones left out (each to be said in one line).  A host
    that is not installed is refused (SN821, InventoryError) when a `host:NAME` limit names it (no glob),
    or when every host selected is one: the command was pointed at it.  Otherwise it is skipped."""
    waiting = [h for h in hosts if h.status in NOT_INSTALLED]
    if not waiting:
        return hosts, []
    named = {pattern for key, pattern in map(parse_limit, limits)
             if key == "host" and not any(c in pattern for c in "*?[")}
    refused = waiting if len(waiting) == len(hosts) else [h for h in waiting if h.hostname in named]
    if refused:
        raise InventoryError([problem(
            "SN821", fleet.host_location(h, "status"), f"{h.hostname} is {h.status}: not installed yet, so "
            "nothing can reach it or check its host key", _todo(h.hostname, h.kind)) for h in refused])
    return ([h for h in hosts if h.status not in NOT_INSTALLED],
            [Skipped(h.hostname, h.kind, h.status, fleet.host_location(h, "status")) for h in waiting])


def prepare(inventory: Path, build: Path, limits: tuple[str, ...] | list[str],
            only: list[str] | None = None, environment: str | None = None,
            targets: Callable[[list[Host]], list[Host]] = deployable,
            nothing: str = "no deployable host selected (edge servers and data-center servers with roles)",
            listed_only: bool = True, need_key: bool = False) -> Ready:
    """Validate, select (`targets`: the kind acted on, servers by default; `only`: of those, just these;
    `environment`: it must be usable (`need_key`: its deploy key too), and with `listed_only` only the
    hosts it lists are selected, where it lists hosts, as the lab's does), leave out hosts not installed
    yet (`installed`), and hold the selected hosts' builds to freshness and check.  Raises InventoryError
    (problems), UnusableEnvironment, LimitError or NothingSelected."""
    fleet = load_for_action(inventory)
    env = usable_environment(fleet, environment, key=False) if environment is not None else None
    hosts = targets(select_hosts(fleet, limits))
    if only is not None:
        hosts = [h for h in hosts if h.hostname in only]
    if env is not None and listed_only and env.addresses == "explicit":
        hosts = [h for h in hosts if h.hostname in env.hosts]
    if not hosts:
        raise NothingSelected(nothing)
    hosts, skipped = installed(fleet, hosts, limits)
    if environment is not None and need_key:  # the key matters once there are hosts to reach
        usable_environment(fleet, environment, key=True)
    where = Location(display_name(build / "manifest.json"))
    try:
        manifest = load_manifest(build)
    except (OSError, ValueError):
        raise InventoryError([problem("SN818", where, "no rendered build", "run `schoolnet render`")]) from None
    secrets = open_store(inventory)
    templates = fleet.root.resolve().parent / "templates"
    if manifest.get("version") != MANIFEST_VERSION:
        stale = [(h.hostname, "build/ was written by another version of schoolnet") for h in hosts]
    else:
        try:
            specs = discover(templates)
        except TemplateHeaderError as exc:
            raise InventoryError([problem("SN703", Location(exc.source, 1, 1), exc.message,
                                          "see docs/templates.md")]) from None
        stale = stale_hosts(Inputs(fleet, specs, templates, secrets), hosts, manifest)
    if stale:
        raise InventoryError([problem("SN820", where, f"build/ is stale for {name}: {why}",
                                      "run `schoolnet render` (and `schoolnet check`) again") for name, why in stale])
    report = check_build(build, secrets=secrets, hosts={h.hostname for h in hosts})
    if report.problems:
        raise InventoryError(report.problems)
    return Ready(fleet, hosts, build, manifest, secrets, skipped)
