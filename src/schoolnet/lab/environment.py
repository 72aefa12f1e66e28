"""Write inventory/environments/lab.yaml from the running lab: addresses and pinned host keys."""

from __future__ import annotations

from pathlib import Path

import yaml

from schoolnet.atomic import write_atomically
from schoolnet.lab.lab import LabState
from schoolnet.lab.paths import KEY


def write_lab_environment(inventory: Path, state: LabState) -> Path:
    document = {
        "name": "lab", "ssh_user": "deploy", "ssh_port": 22, "ssh_key": str(KEY), "sudo": True,
        "addresses": "explicit",
        # a container cannot load the WireGuard module nor set the machine's clock
        "unavailable_services": ["wg-quick@wg0", "chrony"],
        "start_services": state.runner != "chroot",  # a chroot host has no init to start them
        "hosts": {name: {"address": h.address, "port": 22, "host_key": h.host_key}
                  for name, h in sorted(state.hosts.items())},
    }
    path = inventory / "environments" / "lab.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Written by `schoolnet lab up`: how the local lab's hosts are reached. Not committed:\n"
              "# the addresses and keys belong to this machine's lab.\n")
    write_atomically(path, header + yaml.safe_dump(document, sort_keys=False))
    return path
