"""docs/rules.md, generated from the rule catalogue so the docs cannot drift from the code."""

from __future__ import annotations

from schoolnet.rulebook import RULES, Rule

STAGE_TITLES = {
    "load": "Reading the files (loader and schema)",
    "validate": "Cross-object rules (validate)",
    "render": "Rendering templates (render)",
    "check": "Rendered files, checked by the programs that read them (check)",
    "secrets": "Encrypted secrets (secrets)",
    "deploy": "Before any host is touched (plan, deploy)",
    "observe": "Observed against declared (reconcile)",
}


def render_rules_doc() -> str:
    # importing the stages registers their codes
    from schoolnet import check, render, validate  # noqa: F401
    from schoolnet.deploy import gate  # noqa: F401
    from schoolnet.observe import reconcile  # noqa: F401
    from schoolnet.secrets import manage  # noqa: F401

    lines = [
        "# Rule codes",
        "",
        "Every problem schoolnet reports carries one of these stable codes. This page is generated",
        "from the rule registry (`make docs`); a test fails when it is out of date.",
        "",
        "A problem is printed as one line:",
        "",
        "```",
        "inventory/schools/ordubad/nx-ord-012.yaml:41:9: error SN104 duplicate-mac: MAC 02:5c:... is also at "
        "inventory/schools/ordubad/nx-ord-011.yaml:37:12 (each MAC must be unique fleet-wide)",
        "```",
        "",
    ]
    stages: dict[str, list[Rule]] = {}
    for rule in sorted(RULES.values(), key=lambda r: r.code):
        stages.setdefault(rule.stage, []).append(rule)
    for stage, rules in stages.items():
        lines += [f"## {STAGE_TITLES.get(stage, stage)}", "", "| code | name | severity | what it means |",
                  "|---|---|---|---|"]
        lines += [f"| [{r.code}](#{r.code.lower()}) | `{r.name}` | {r.severity.value} | {r.doc} |" for r in rules]
        lines.append("")
        for rule in rules:
            lines += [f"### {rule.code}", "", f"**{rule.name}** ({rule.severity.value}). {rule.doc}", "",
                      "Bad:", "", "```yaml", rule.bad, "```", "", "Good:", "", "```yaml", rule.good, "```", ""]
    return "\n".join(lines)
