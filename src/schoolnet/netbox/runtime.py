"""NetBox's own runtime: a Debian 13 root holding Python 3.13 and NetBox from PyPI, built once.

NetBox 4.7 needs Python 3.12 or newer and Debian 12 ships 3.11.  Rather than trust whatever
interpreter a machine happens to have, the runtime is the same everywhere: a minimal Debian 13
root from debootstrap (Debian's own Python 3.13), a virtual environment with NetBox and gunicorn,
and NetBox's static files collected.  It lives in the cache directory, keyed by the NetBox
release and the runtime's version, and is built in a temporary directory and renamed into place,
so a half-built runtime is never used.  Commands run in it through `in_root`: a private mount
namespace (its own /proc and /dev, the instance's directories bound in), then chroot, so nothing
is mounted on the machine itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from schoolnet.netbox.paths import CACHE_DIR, NETBOX_VERSION

RUNTIME_VERSION = "1"  # bump when the recipe below changes: a new runtime is built beside the old
MIRROR = "http://deb.debian.org/debian"
PACKAGES = "python3,python3-venv,python3-dev,gcc,libc6-dev,libpq-dev,ca-certificates"
VENV = "/opt/netbox/venv"
SITE = "/opt/netbox/site"  # NETBOX_ROOT inside the root: static files here, conf/ and media/ bound in
HOST_CA = "/etc/ssl/certs/schoolnet-host-ca.crt"  # this machine's CA bundle, for pip inside the root
SERVICE_USER = "netbox"

# Values arrive as arguments, never spliced into the script: a path with a space or a quote is
# still one word.  Pairs before `--` are bind mounts (host path, path inside the root).
_IN_ROOT = r"""
set -e
root=$1; shift
mount -n --make-rprivate /
mount -n -t proc proc "$root/proc"
mount -n --rbind /dev "$root/dev"
while [ "$1" != "--" ]; do mount -n --bind "$1" "$root$2"; shift 2; done
shift
exec chroot "$@"
"""


class RuntimeBuildError(Exception):
    """The runtime could not be built; the message says which step and why."""


def runtime_dir() -> Path:
    return CACHE_DIR / f"runtime-netbox-{NETBOX_VERSION}-{RUNTIME_VERSION}"


def in_root(root: Path, argv: Sequence[str], *, binds: Mapping[Path, str] | None = None,
            user: str | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """The command line that runs `argv` inside `root`, as `user` (root when None)."""
    pairs = [str(part) for host, inside in (binds or {}).items() for part in (host, inside)]
    chroot = ([f"--userspec={user}:{user}"] if user else []) + [str(root)]
    environment = ["env", "-i", f"PATH={VENV}/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp", "LANG=C.UTF-8",
                   *(f"{key}={value}" for key, value in (env or {}).items())]
    return ["unshare", "--mount", "--", "sh", "-c", _IN_ROOT, "in-root", str(root), *pairs, "--",
            *chroot, *environment, *argv]


def ensure_runtime(say: Callable[[str], None]) -> Path:
    """The runtime's root directory, building it first if this machine has none."""
    final = runtime_dir()
    if (final / ".schoolnet-runtime").exists():
        return final
    say(f"building NetBox {NETBOX_VERSION}'s runtime (once per machine, about 2 minutes): "
        "Debian 13 with Python 3.13 by debootstrap, then NetBox from PyPI")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".runtime-", dir=final.parent))
    try:
        root = work / "root"
        _step("debootstrap (Debian 13)", ["debootstrap", "--variant=minbase", f"--include={PACKAGES}",
                                          "trixie", str(root), MIRROR])
        shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", root / HOST_CA.lstrip("/"))
        _step("create NetBox's service user", in_root(root, ["useradd", "--system", "--no-create-home", "--uid",
                                                             str(_free_uid()), SERVICE_USER]))
        say("installing NetBox and gunicorn from PyPI into the runtime (about a minute)")
        _step("create the virtual environment", in_root(root, ["python3", "-m", "venv", VENV]))
        _step("pip install netbox", in_root(
            root, ["pip", "install", "--quiet", f"netbox=={NETBOX_VERSION}", "gunicorn"], env=_pip_env()))
        _collect_static(root)
        (root / ".schoolnet-runtime").write_text(f"{NETBOX_VERSION} {RUNTIME_VERSION}\n")
        work.chmod(0o755)
        root.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _free_uid() -> int:
    """A uid no account of this machine has: NetBox's files must not belong to a local service."""
    taken = {int(line.split(":")[2]) for line in Path("/etc/passwd").read_text().splitlines() if line.count(":") >= 2}
    return next(uid for uid in range(60470, 65000) if uid not in taken)


def _pip_env() -> dict[str, str]:
    """pip inside the root reaches the same index as this machine's pip, trusting the same CAs."""
    env = {"PIP_CERT": HOST_CA, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for key in ("PIP_INDEX_URL", "PIP_DEFAULT_TIMEOUT", "http_proxy", "https_proxy", "no_proxy"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def _collect_static(root: Path) -> None:
    """Static files belong to the release, not to an instance: collected once, served by nginx."""
    site = root / SITE.lstrip("/")
    (site / "conf").mkdir(parents=True)
    (site / "media").mkdir()  # conf/ and media/ are mount points for each instance's own
    (site / "conf" / "__init__.py").write_text("")
    (site / "conf" / "configuration.py").write_text(
        'ALLOWED_HOSTS = ["127.0.0.1"]\nDATABASES = {"default": {"NAME": "collectstatic"}}\n'
        'REDIS = {"tasks": {}, "caching": {}}\nSECRET_KEY = "' + "collectstatic-only-" * 3 + '"\n')
    _step("collect NetBox's static files", in_root(
        root, ["netbox", "collectstatic", "--no-input", "--verbosity", "0"], env={"NETBOX_ROOT": SITE}))
    (site / "conf" / "configuration.py").unlink()


def _step(what: str, argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeBuildError(f"building NetBox's runtime failed at '{what}': {tail[0]}")
