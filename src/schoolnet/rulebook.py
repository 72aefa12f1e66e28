"""The catalogue of rule codes.

Every problem schoolnet reports carries a stable code (SN001...).  Loader and
model codes are declared here; cross-object rules in `schoolnet.validate`
register themselves with a check function.  `docs/rules.md` is generated from
this catalogue, so a code exists in exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schoolnet.problems import Location, Problem, Severity

if TYPE_CHECKING:  # pragma: no cover
    CheckFn = Callable[[Any], Iterator[Problem]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    doc: str
    bad: str
    good: str
    stage: str
    check: CheckFn | None = None

    def problem(self, location: Location, message: str, hint: str = "",
                related: tuple[Location, ...] = ()) -> Problem:
        return Problem(location, self.code, self.name, message, self.severity, hint, related)


RULES: dict[str, Rule] = {}


def declare(code: str, name: str, doc: str, *, bad: str, good: str, stage: str,
            severity: Severity = Severity.ERROR, check: CheckFn | None = None) -> Rule:
    if code in RULES:
        raise ValueError(f"rule code {code} declared twice")
    rule = Rule(code, name, severity, doc, bad, good, stage, check)
    RULES[code] = rule
    return rule


def problem(code: str, location: Location, message: str, hint: str = "",
            related: tuple[Location, ...] = ()) -> Problem:
    return RULES[code].problem(location, message, hint, related)


# --- codes of the loader (schoolnet.inventory) --------------------------------

LOAD = "load"
declare("SN001", "yaml-syntax", "The file is not valid YAML.",
        bad="name: [unclosed", good="name: Ordubad school No. 12", stage=LOAD)
declare("SN002", "duplicate-key", "A key appears twice in one mapping; YAML would silently keep the last.",
        bad="serial: A1\nserial: A2", good="serial: A1", stage=LOAD)
declare("SN003", "alias-expansion", "Anchors and aliases expand past the safety bound (a 'billion laughs' file).",
        bad="a: &a [x, x]\nb: &b [*a, *a]\n# ... nested ten times",
        good="use programme defaults instead of deep aliases",
        stage=LOAD)
declare("SN004", "not-utf8", "The file is not UTF-8 text.",
        bad="name: Ordubad (saved as Latin-1)", good="name: Ordubad (saved as UTF-8)", stage=LOAD)
declare("SN005", "empty-file", "The file holds no document.", bad="(empty file)",
        good="id: nx-ord-012\n...", stage=LOAD)
declare("SN006", "file-too-large", "The file is larger than the size cap for one inventory file.",
        bad="(a 20 MB school file)", good="one school per file, a few kilobytes each", stage=LOAD)
declare("SN007", "wrong-type", "A value has the wrong type: a list where a mapping is expected, or a YAML "
        "boolean/number (no, on, 0755) where a string is expected.",
        bad="received_by: no", good="received_by: \"no\"", stage=LOAD)
declare("SN008", "unknown-key", "A key the schema does not know (often a typo).",
        bad="serail: R9ABC", good="serial: R9ABC", stage=LOAD)
declare("SN009", "missing-key", "A required key is missing.",
        bad="tablets:\n  - mac: 02:1a:00:00:00:01", good="tablets:\n  - serial: R9ABC\n    mac: 02:1a:00:00:00:01",
        stage=LOAD)
declare("SN010", "invalid-value", "A value is outside what the schema allows (unknown status, bad number, bad date).",
        bad="status: gone", good="status: lost", stage=LOAD)
declare("SN011", "file-placement", "A school file's path does not match its id and district "
        "(schools/<district>/<id>.yaml).",
        bad="schools/julfa/nx-ord-012.yaml with district: ordubad",
        good="schools/ordubad/nx-ord-012.yaml", stage=LOAD)
declare("SN012", "missing-file", "A file the inventory needs is missing.",
        bad="inventory/ without programme.yaml", good="inventory/programme.yaml", stage=LOAD)
declare("SN014", "partial-inventory", "Some inventory files did not load, so the rules that need every file were "
        "not run: without programme.yaml, hardware.yaml or ipam.yaml none of the cross-file rules; without a school "
        "or data-center file, those that count or match the whole fleet (school and tablet totals, empty districts, "
        "ledger lines without a school). The other rules ran on the files that loaded.",
        bad="(a school file with a YAML error)", good="(every file loads)", stage=LOAD, severity=Severity.WARNING)


def rules_of_stage(stage: str) -> list[Rule]:
    return [r for r in RULES.values() if r.stage == stage]
