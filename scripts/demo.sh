#!/usr/bin/env bash
# make demo: validate the reference programme and show what it holds.
set -euo pipefail
cd "$(dirname "$0")/.."
schoolnet() { .venv/bin/schoolnet "$@"; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "validate the reference programme (inventory/)"
start=$EPOCHREALTIME
schoolnet validate
awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "   (%.2f s)\n", b - a }'

step "what it holds"
schoolnet inventory stats

step "one school, as an auditor looks it up"
schoolnet inventory show nx-ord-012
schoolnet ipam show nx-ord-012 | head -8
