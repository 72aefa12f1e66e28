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
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from fleets import ROOT, arguments, measure_both

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


def measure(inventory: Path, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "inventory"
            subprocess.run(["cp", "-a", str(inventory), str(work)], check=True)
            out = subprocess.run([sys.executable, "-c", PROBE, str(work), str(ROOT / "templates"),
                                  str(Path(tmp) / "build")], check=True, capture_output=True, text=True).stdout
            runs.append(json.loads(out))
    best = {key: min(r[key] for r in runs) for key in runs[0]}
    best["render_median_s"] = statistics.median(r["render_s"] for r in runs)
    return best


def main() -> int:
    args = arguments(__doc__, repeat=3)
    results = measure_both(measure, args)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'fleet':<26} {'hosts':>6} {'files':>7} {'validate':>9} {'render':>7} {'floor':>6} {'ratio':>6} "
          f"{'1 school cmd':>13} {'1 school render':>16}")
    for name, r in results.items():
        print(f"{name:<26} {r['hosts']:>6,.0f} {r['files']:>7,.0f} {r['validate_s']:>9.2f} {r['render_s']:>7.2f} "
              f"{r['floor_s']:>6.2f} {r['render_s'] / r['floor_s']:>6.2f} {r['one_school_command_s']:>13.2f} "
              f"{r['one_school_render_s']:>16.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
