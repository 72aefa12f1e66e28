"""The lab's Debian 12 base: built once with debootstrap, cached as a .tar.zst, unpacked as the lower layer.

Every lab host is an overlay on this base, so a host costs megabytes, not a full copy.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from schoolnet.lab.paths import BASE_ARCHIVE, BASE_DIR

MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://security.debian.org/debian-security"
SOURCES = [f"{MIRROR} bookworm main", f"{MIRROR} bookworm-updates main", f"{SECURITY} bookworm-security main"]
PACKAGES = "systemd,systemd-sysv,dbus,openssh-server,sudo,python3,iproute2,ca-certificates"
IMAGE_VERSION = "1"  # bump when the base changes: the cached archive is rebuilt


def ensure_base(say: Callable[[str], None]) -> Path:
    """The unpacked base, building or unpacking it as needed."""
    stamp = BASE_DIR / ".schoolnet-image"
    if stamp.exists() and stamp.read_text() == IMAGE_VERSION:
        return BASE_DIR
    if not BASE_ARCHIVE.exists() or _archive_version() != IMAGE_VERSION:
        say("building the Debian 12 base image with debootstrap (once; about a minute)")
        _build()
    say("unpacking the base image")
    if BASE_DIR.exists():
        shutil.rmtree(BASE_DIR)
    BASE_DIR.mkdir(parents=True)
    subprocess.run(["tar", "--zstd", "-xpf", str(BASE_ARCHIVE), "-C", str(BASE_DIR)], check=True)
    stamp.write_text(IMAGE_VERSION)
    return BASE_DIR


def _archive_version() -> str:
    marker = BASE_ARCHIVE.with_suffix(".version")
    return marker.read_text() if marker.exists() else ""


def _build() -> None:
    BASE_ARCHIVE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BASE_ARCHIVE.parent) as tmp:
        root = Path(tmp) / "root"
        subprocess.run(["debootstrap", "--variant=minbase", f"--include={PACKAGES}", "bookworm", str(root), MIRROR],
                       check=True, capture_output=True)
        _configure(root)
        partial = BASE_ARCHIVE.with_suffix(".partial")
        subprocess.run(["tar", "--zstd", "-cpf", str(partial), "-C", str(root), "."], check=True)
        partial.rename(BASE_ARCHIVE)
        BASE_ARCHIVE.with_suffix(".version").write_text(IMAGE_VERSION)


def _configure(root: Path) -> None:
    """What every lab host shares: apt through the lab's cache, a deploy user, no consoles, no host keys."""
    (root / "etc/apt/sources.list").write_text("".join(f"deb {source}\n" for source in SOURCES))
    (root / "etc/apt/apt.conf.d/01schoolnet-lab").write_text(
        'Acquire::http::Proxy "http://127.0.0.1:3142";\nAcquire::Check-Valid-Until "false";\n'
        'APT::Install-Recommends "false";\n')
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/machine-id").write_text("")
    subprocess.run(["chroot", str(root), "systemctl", "mask", "console-getty.service", "getty@.service",
                    "systemd-networkd-wait-online.service"], check=True, capture_output=True)
    subprocess.run(["chroot", str(root), "useradd", "-m", "-s", "/bin/bash", "-G", "sudo", "deploy"], check=True)
    sudoers = root / "etc/sudoers.d/deploy"
    sudoers.write_text("deploy ALL=(ALL) NOPASSWD:ALL\n")
    sudoers.chmod(0o440)
