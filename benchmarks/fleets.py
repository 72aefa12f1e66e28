"""What the benchmarks share: their command line and the two fleets they measure."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def arguments(doc: str | None, repeat: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=5000)
    parser.add_argument("--tablets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per fleet; the best (and median) reported")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def measure_both(measure: Callable[[Path, int], dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """The reference programme as committed, and a generated fleet of --schools/--tablets."""
    results = {"reference (inventory/)": measure(ROOT / "inventory", args.repeat)}
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp) / "fleet"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_programme.py"), "--out", str(fleet),
                        "--schools", str(args.schools), "--tablets", str(args.tablets)], check=True,
                       capture_output=True)
        subprocess.run([str(Path(sys.executable).parent / "schoolnet"), "secrets", "generate", "--inventory",
                        str(fleet)], check=True, capture_output=True)
        results[f"generated {args.schools:,} schools"] = measure(fleet, args.repeat)
    return results
