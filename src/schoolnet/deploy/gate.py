"""What must hold before any host is touched, for `schoolnet plan|deploy` and plain pyinfra alike.

The inventory validates (every rule); each selected host's build is fresh (made from its
inputs as they are now, see `schoolnet.render.freshness`); and every selected file passes
`check`.  Anything else raises InventoryError with file:line problems, naming each stale
host, before a connection is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schoolnet.check import check_build
from schoolnet.deploy.bridge import deployable
from schoolnet.inventory.yamlload import display_name
from schoolnet.model.fleet import Fleet, Host
from schoolnet.model.select import select_hosts
from schoolnet.problems import InventoryError, Location
from schoolnet.render.engine import MANIFEST_VERSION, load_manifest
from schoolnet.render.freshness import Inputs, stale_hosts
from schoolnet.render.templates import TemplateHeaderError, discover
from schoolnet.rulebook import declare, problem
from schoolnet.secrets import open_store
from schoolnet.secrets.store import SopsSecrets
from schoolnet.validate import load_for_action

declare("SN820", "stale-build", "A selected host's files in build/ were rendered from inventory data, templates "
        "or secrets that have changed since (or never rendered): deploying them would push an old intent.",
        bad="(a school added, then `render --limit` of another: the VPN hub's peers are stale)",
        good="schoolnet render", stage="deploy")


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


def prepare(inventory: Path, build: Path, limits: tuple[str, ...] | list[str],
            only: list[str] | None = None, environment: str | None = None,
            targets: Callable[[list[Host]], list[Host]] = deployable,
            nothing: str = "no deployable host selected (edge servers and data-center servers with roles)") -> Ready:
    """Validate, select (`targets`: the kind acted on, servers by default; `only`: of those, just these;
    `environment`: those it lists, where it lists hosts, as the lab's does), and hold the selected
    hosts' builds to freshness and check.  Raises InventoryError (problems), LimitError or NothingSelected."""
    fleet = load_for_action(inventory)
    hosts = targets(select_hosts(fleet, limits))
    if only is not None:
        hosts = [h for h in hosts if h.hostname in only]
    if environment is not None:
        env = fleet.environments.get(environment)
        if env is None:
            raise NothingSelected(f"no environment {environment!r} in {inventory}/environments/")
        if env.addresses == "explicit":
            hosts = [h for h in hosts if h.hostname in env.hosts]
    if not hosts:
        raise NothingSelected(nothing)
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
    return Ready(fleet, hosts, build, manifest, secrets)
