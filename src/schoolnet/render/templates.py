"""Find the templates of each role and read the header that says how their files are installed.

`templates/<role>/<destination path>.j2` renders to `<destination path>` on every host
with that role.  The first line may be a header comment:

    {#- schoolnet: mode=0600 owner=root group=root validator=wireguard each=schools -#}

- mode/owner/group: how the file is installed (default 0644 root root);
- validator: which program checks the file (see `schoolnet.check`); `none` where no
  program can read the file offline, which the header must then say;
- each: render once per item of a context list, `__item__` in the path becomes the item's key;
- format: how the `q` filter quotes a value in this file (render/escape.py); by default the validator's
  name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HEADER = re.compile(r"^\{#-?\s*schoolnet:(?P<fields>[^#]*?)-?#\}")
FIELD = re.compile(r"(?P<key>\w+)=(?P<value>\S+)")
KNOWN = {"mode", "owner", "group", "validator", "each", "format"}
MODE = re.compile(r"^0[0-7]{3}$")
PLACEHOLDER = "__item__"


class TemplateHeaderError(ValueError):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}:1: {message}")
        self.source = source
        self.message = message


@dataclass(frozen=True)
class TemplateSpec:
    role: str
    name: str  # relative to the templates directory, as Jinja loads it
    destination: str
    mode: str = "0644"
    owner: str = "root"
    group: str = "root"
    validator: str | None = None
    each: str | None = None
    format: str | None = None

    @property
    def source(self) -> str:
        return f"templates/{self.name}"


def discover(templates_dir: Path) -> dict[str, list[TemplateSpec]]:
    """Every role's templates, sorted by destination so output order never depends on the file system."""
    roles: dict[str, list[TemplateSpec]] = {}
    if not templates_dir.is_dir():
        return roles
    for path in sorted(templates_dir.rglob("*.j2")):
        relative = path.relative_to(templates_dir)
        role = relative.parts[0]
        destination = "/" + "/".join(relative.parts[1:]).removesuffix(".j2")
        roles.setdefault(role, []).append(_spec(role, relative.as_posix(), destination, path))
    for specs in roles.values():
        specs.sort(key=lambda s: s.destination)
    return roles


def _spec(role: str, name: str, destination: str, path: Path) -> TemplateSpec:
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
    match = HEADER.match(first)
    fields: dict[str, str] = {}
    if match:
        fields = {m["key"]: m["value"] for m in FIELD.finditer(match["fields"])}
        unknown = set(fields) - KNOWN
        if unknown:
            raise TemplateHeaderError(f"templates/{name}", f"unknown header field(s) {', '.join(sorted(unknown))}; "
                                      f"known: {', '.join(sorted(KNOWN))}")
    mode = fields.get("mode", "0644")
    if not MODE.match(mode):
        raise TemplateHeaderError(f"templates/{name}", f"mode={mode} is not an octal mode like 0644")
    each = fields.get("each")
    if (each is None) != (PLACEHOLDER not in destination):
        raise TemplateHeaderError(f"templates/{name}", f"each= and {PLACEHOLDER} in the path go together")
    validator = fields.get("validator")
    if validator is None:
        raise TemplateHeaderError(f"templates/{name}", "the header must name its validator= (validator=none if "
                                  "no program can check the file offline)")
    return TemplateSpec(role, name, destination, mode, fields.get("owner", "root"), fields.get("group", "root"),
                        None if validator == "none" else validator, each,
                        fields.get("format", None if validator == "none" else validator))
