"""The pyinfra inventory, built from inventory/ and an environment.

    SCHOOLNET_ENV=lab pyinfra deploy/inventory.py deploy/site.py --dry

Environment variables: SCHOOLNET_ENV (default lab), SCHOOLNET_INVENTORY (inventory),
SCHOOLNET_BUILD (build), SCHOOLNET_KNOWN_HOSTS (where to write the pinned host keys).
`schoolnet deploy` does the same with validation, the build's freshness and a record.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from schoolnet.deploy.bridge import deployable, groups, host_data
from schoolnet.deploy.connection import connections, known_hosts
from schoolnet.model import load_fleet_or_raise

_env = os.environ.get("SCHOOLNET_ENV", "lab")
_fleet = load_fleet_or_raise(Path(os.environ.get("SCHOOLNET_INVENTORY", "inventory")))
_hosts = [h for h in deployable(list(_fleet.hosts)) if _env != "lab" or h.hostname in _fleet.environments[_env].hosts]
_known = Path(os.environ.get("SCHOOLNET_KNOWN_HOSTS", f"/tmp/schoolnet-known-hosts-{_env}"))
_known.write_text(known_hosts(connections(_fleet, _env, _hosts)))

schoolnet = host_data(_fleet, _env, _hosts, Path(os.environ.get("SCHOOLNET_BUILD", "build")), _known)
globals().update(groups(_hosts))
