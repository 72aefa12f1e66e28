"""Paths built from names stay inside their parent.

Hostnames, school ids and manifest paths become directories in build/ and in the lab,
log files and cgroups.  Validation (SN501, SN504) refuses unsafe names before any
command acts; these joins refuse them again where the path is made, so a name that
slipped past (a hand-edited manifest, a stage called without validation) can never
reach outside the directory it was meant for.
"""

from __future__ import annotations

import os
from pathlib import Path

FORBIDDEN = ("", ".", "..")


class PathEscape(ValueError):
    """A name would make a path outside its parent; the message names both."""


def child(parent: Path, name: str) -> Path:
    """`parent/name`, where `name` must be one plain path component."""
    if name in FORBIDDEN or "/" in name or "\0" in name:
        raise PathEscape(f"{name!r} is not a plain name: refusing to use it under {parent}")
    return parent / name


def beneath(parent: Path, relative: str, resolve: bool = True) -> Path:
    """`parent/relative` for a slash-separated path (a file's destination, a leading / allowed), every
    component plain and, with `resolve`, inside `parent` even through symbolic links already there."""
    parts = relative.lstrip("/").split("/")
    path = parent
    for part in parts:
        path = child(path, part)
    if not resolve:
        return path
    resolved, root = os.path.realpath(path), os.path.realpath(parent)
    if os.path.commonpath([resolved, root]) != root:
        raise PathEscape(f"{relative!r} leads outside {parent}")
    return path
