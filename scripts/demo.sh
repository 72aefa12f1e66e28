#!/usr/bin/env bash
# make demo: the main job on the reference programme: validate, render every host, check every file.
set -euo pipefail
cd "$(dirname "$0")/.."
schoolnet() { .venv/bin/schoolnet "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
total=$EPOCHREALTIME

step "1/4 validate the reference programme (inventory/)"
schoolnet validate

step "2/4 what it holds"
schoolnet inventory stats

step "3/4 render every host's configuration into build/"
schoolnet render

step "4/4 check every rendered file with the program that will read it"
schoolnet check

step "summary"
hosts=$(.venv/bin/python -c 'import json; m = json.load(open("build/manifest.json")); print(len(m["hosts"]))')
files=$(find build/hosts -type f | wc -l)
echo "  hosts rendered:  $hosts"
echo "  files checked:   $files"
echo "  one school:      schoolnet inventory show nx-ord-012; ls build/hosts/nx-ord-012-edge/etc"
echo "  total time:      $(elapsed "$total") s"
