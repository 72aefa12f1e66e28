"""The pyinfra inventory, built from inventory/ and an environment.

    SCHOOLNET_ENV=lab pyinfra deploy/inventory.py deploy/site.py --dry

Environment variables: SCHOOLNET_ENV (default lab), SCHOOLNET_INVENTORY (inventory),
SCHOOLNET_BUILD (build), SCHOOLNET_KNOWN_HOSTS (where to write the pinned host keys; by
default a private temporary directory, removed at exit), SOPS_AGE_KEY_FILE (the build's
freshness covers the secrets its files hold).  Before pyinfra connects anywhere this
passes the same gate as `schoolnet deploy`: the inventory validates, each host's build
is fresh and checks, or it prints the problems and exits 1.
"""

import atexit
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from schoolnet.cli.output import as_text
from schoolnet.deploy.bridge import groups, host_data
from schoolnet.deploy.connection import UnusableEnvironment, connections, known_hosts
from schoolnet.deploy.gate import NothingSelected, prepare
from schoolnet.problems import InventoryError

_env = os.environ.get("SCHOOLNET_ENV", "lab")
try:
    _ready = prepare(Path(os.environ.get("SCHOOLNET_INVENTORY", "inventory")),
                     Path(os.environ.get("SCHOOLNET_BUILD", "build")), [], environment=_env, need_key=True)
except InventoryError as _exc:
    sys.exit(as_text(_exc.problems) + "\nschoolnet: nothing was deployed")
except (NothingSelected, UnusableEnvironment) as _exc:
    sys.exit(f"schoolnet: {_exc}")
for _skipped in _ready.skipped:  # planned and staged hosts are not installed yet
    print(f"schoolnet: {_skipped.line()}", file=sys.stderr)

if "SCHOOLNET_KNOWN_HOSTS" in os.environ:
    _known = Path(os.environ["SCHOOLNET_KNOWN_HOSTS"])
else:
    _private = tempfile.mkdtemp(prefix="schoolnet-known-hosts-")  # 0700: nobody else can swap the keys
    atexit.register(shutil.rmtree, _private, ignore_errors=True)
    _known = Path(_private) / "known_hosts"
_known.write_text(known_hosts(connections(_ready.fleet, _env, _ready.hosts)))

schoolnet = host_data(_ready.fleet, _env, _ready.hosts, _ready.build, _known, run=uuid.uuid4().hex,
                      manifest=_ready.manifest)
globals().update(groups(_ready.hosts))
