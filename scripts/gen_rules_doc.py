#!/usr/bin/env python3
"""Print docs/rules.md from the rule registry: `make docs`."""

from schoolnet.rules_doc import render_rules_doc

print(render_rules_doc(), end="")
