"""Problems as text, JSON, JUnit XML or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from schoolnet.problems import Problem, Severity
from schoolnet.rulebook import Rule

FORMATS = ("text", "json", "junit", "github")


def summary_counts(problems: list[Problem]) -> tuple[int, int]:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    return errors, len(problems) - errors


def as_text(problems: list[Problem]) -> str:
    return "\n".join(p.line() for p in problems)


def as_json(problems: list[Problem], extra: dict[str, object] | None = None) -> str:
    errors, warnings = summary_counts(problems)
    document = {
        "ok": errors == 0,
        "errors": errors,
        "warnings": warnings,
        "problems": [problem_dict(p) for p in problems],
        **(extra or {}),
    }
    return json.dumps(document, indent=2)


def problem_dict(p: Problem) -> dict[str, object]:
    return {"file": p.location.file, "line": p.location.line, "column": p.location.column,
            "code": p.code, "name": p.name, "severity": p.severity.value, "message": p.message,
            "hint": p.hint, "related": [str(r) for r in p.related]}


def as_junit(problems: list[Problem], rules: Iterable[Rule], suite: str) -> str:
    """One test case per rule: it fails with every problem it found."""
    by_code: dict[str, list[Problem]] = {}
    for p in problems:
        by_code.setdefault(p.code, []).append(p)
    cases = list(rules)
    root = ET.Element("testsuites")
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)),
                         failures=str(sum(1 for r in cases if r.code in by_code)), errors="0", skipped="0")
    for rule in cases:
        case = ET.SubElement(node, "testcase", classname=suite, name=f"{rule.code} {rule.name}")
        found = by_code.get(rule.code)
        if found:
            failure = ET.SubElement(case, "failure", message=f"{len(found)} problem(s)", type=rule.code)
            failure.text = as_text(found)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def as_github(problems: list[Problem]) -> str:
    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    lines = []
    for p in problems:
        level = "error" if p.severity is Severity.ERROR else "warning"
        message = p.message + (f" ({p.hint})" if p.hint else "")
        lines.append(f"::{level} file={p.location.file},line={p.location.line},col={p.location.column},"
                     f"title={p.code} {p.name}::{escape(message)}")
    return "\n".join(lines)
