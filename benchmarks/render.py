#!/usr/bin/env python3
"""Time validate + render for the reference programme and a generated national fleet.

    .venv/bin/python benchmarks/render.py                       # reference + 5,000 schools
    .venv/bin/python benchmarks/render.py --schools 1000 --tablets 20000

For each fleet, in a fresh interpreter:
- validate: load + rules (the same as `schoolnet validate`);
- render: `render_fleet` for every host (contexts, sandboxed Jinja, files, manifest, atomic swap);
- floor: plain Jinja (no sandbox) rendering the same templates with the same contexts in one loop and
  writing each file (contexts built beforehand, not timed): what any renderer must pay;
- one school: `render --limit school:ID` after a change to that school's file, as a command runs it
  (validate included), and the render part alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import ROOT, Report, arguments, measure_both, timed

PROBE = r"""
import json, sys, time, tempfile, gc
from pathlib import Path
import jinja2
inventory, templates, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
from schoolnet.validate import load_for_action
from schoolnet.model.select import select_hosts
from schoolnet.render.engine import render_fleet
from schoolnet.render.context import ContextBuilder
from schoolnet.secrets.demo import DemoSecrets
from schoolnet.secrets.store import wireguard_public_key
from schoolnet.render.templates import discover

t0 = time.perf_counter()
fleet = load_for_action(inventory)
t1 = time.perf_counter()
store = DemoSecrets()  # the same values for every run; sops decryption is measured apart
summary = render_fleet(fleet, list(fleet.hosts), out, templates, store)
t2 = time.perf_counter()

# the floor: plain Jinja, same templates, same contexts, one loop, each file written as it comes
specs = discover(templates)
env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), undefined=jinja2.StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
env.filters["json"] = lambda v, indent=2: json.dumps(v, indent=indent, sort_keys=True)
builder = ContextBuilder(fleet)
contexts = [(h, builder.for_host(h)) for h in fleet.hosts]
compiled = {s.name: env.get_template(s.name) for role in specs.values() for s in role}
floor_out = Path(tempfile.mkdtemp(dir=out.parent))
public_key = lambda name: wireguard_public_key(store.get(name))
t3 = time.perf_counter()
for host, context in contexts:
    for role in host.roles:
        for spec in specs[role]:
            for item in (context[spec.each] if spec.each else [None]):
                text = compiled[spec.name].render({**context, "item": item, "secret": store.get,
                                                   "wireguard_public_key": public_key})
                path = spec.destination.replace("__item__", str(item.get("key") or item["id"]) if item else "")
                target = floor_out / host.hostname / path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
t4 = time.perf_counter()

# one school changed: the command as a sysadmin runs it, and the render part alone
school = fleet.schools[len(fleet.schools) // 2]
path = fleet.doc(school).path
path.write_text(path.read_text().replace("students: ", "students: 1", 1))
t5 = time.perf_counter()
fleet2 = load_for_action(inventory)
t6 = time.perf_counter()
render_fleet(fleet2, select_hosts(fleet2, [f"school:{school.id}"]), out, templates, store, limited=True)
t7 = time.perf_counter()
print(json.dumps({"schools": len(fleet.schools), "hosts": summary.hosts, "files": summary.files,
                  "validate_s": t1 - t0, "render_s": t2 - t1, "floor_s": t4 - t3,
                  "one_school_command_s": t7 - t5, "one_school_render_s": t7 - t6}))
"""


def measure(inventory: Path, repeat: int) -> dict[str, Any]:
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "inventory"
            subprocess.run(["cp", "-a", str(inventory), str(work)], check=True)
            out = timed([sys.executable, "-c", PROBE, str(work), str(ROOT / "templates"), str(Path(tmp) / "build")])[1]
            runs.append(json.loads(out))
    return {key: [r[key] for r in runs] for key in runs[0]}


def main() -> int:
    args = arguments(__doc__, repeat=3, fleet=True)
    report = Report("render: render_fleet against plain Jinja, in one interpreter")
    for name, r in measure_both(measure, args).items():
        report.add(f"{name}: render {r['hosts'][0]:,} hosts, {r['files'][0]:,} files", r["render_s"],
                   floor=("plain Jinja, same templates and contexts", r["floor_s"]),
                   note=f"validate {min(r['validate_s']):.2f} s before it")
        report.add(f"{name}: one school changed, `render --limit school:ID` as a command would",
                   r["one_school_command_s"], floor=("the render step alone", r["one_school_render_s"]))
    report.print(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
