"""The YAML loader: values keep their positions, YAML's traps are errors."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from schoolnet.inventory.yamlload import load_document, parse_text
from schoolnet.problems import InventoryError

# (source text, path into the data, expected value, expected (line, column))
VALUE_CASES: list[tuple[str, tuple[Any, ...], Any, tuple[int, int]]] = [
    ("id: nx-ord-012\n", ("id",), "nx-ord-012", (1, 5)),
    ("a:\n  b:\n    c: 7\n", ("a", "b", "c"), 7, (3, 8)),
    ("tablets:\n  - slot: 1\n  - slot: 2\n    mac: x\n", ("tablets", 1, "mac"), "x", (4, 10)),
    ("tablets:\n  - slot: 1\n", ("tablets", 0), {"slot": 1}, (2, 5)),
    ("d: 2025-09-01\n", ("d",), date(2025, 9, 1), (1, 4)),
    ("d: 2025-13-45\n", ("d",), "2025-13-45", (1, 4)),  # left as text for the schema to reject
    ("flag: yes\n", ("flag",), True, (1, 7)),
    ("mode: 0755\n", ("mode",), 493, (1, 7)),
    ("quoted: \"0755\"\n", ("quoted",), "0755", (1, 9)),
    ("base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  y: 3\n", ("over",), {"x": 1, "y": 3}, (2, 1)),
    ("list: [a, b]\n", ("list", 1), "b", (1, 11)),
    ("\ufeffid: bom\n", ("id",), "bom", (1, 5)),
]


@pytest.mark.parametrize(("text", "path", "value", "mark"), VALUE_CASES, ids=[c[0][:24] for c in VALUE_CASES])
def test_values_keep_their_position(text: str, path: tuple[Any, ...], value: Any, mark: tuple[int, int]) -> None:
    doc = parse_text(text.removeprefix("\ufeff"), "f.yaml")
    data: Any = doc.data
    for part in path:
        data = data[part]
    assert data == value
    location = doc.location(path)
    assert (location.line, location.column) == mark


def test_location_of_missing_path_falls_back_to_nearest_parent() -> None:
    doc = parse_text("school:\n  devices:\n    - kind: edge\n", "f.yaml")
    assert doc.location(("school", "devices", 0, "serial")).line == 3


# (source text, code, line)
ERROR_CASES = [
    ("a: 1\na: 2\n", "SN002", 2),
    ("outer:\n  k: 1\n  k: 2\n", "SN002", 3),
    ("a: [1, 2\n", "SN001", 1),  # where the [ opens, not where the parser gave up
    ("a: !!python/name:os.system x\n", "SN001", 1),
    ("a: !custom {x: 1}\n", "SN001", 1),
    ("--- a\n--- b\n", "SN001", 2),
    ("a: &a\n  b: *a\n", "SN003", 1),
    ("# only a comment\n", "SN005", 1),
    ("{[1]: x}\n", "SN007", 1),
]


@pytest.mark.parametrize(("text", "code", "line"), ERROR_CASES, ids=[c[0][:20] for c in ERROR_CASES])
def test_traps_are_errors(text: str, code: str, line: int) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_text(text, "f.yaml")
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.line) == (code, line)


# A YAML syntax error points where the broken construct starts (the unclosed [, { or quote: PyYAML's
# context mark), and says where the parser gave up; where there is no such construct, at the problem.
# (source text, expected (line, column), words the message holds)
SYNTAX_CASES = [
    ("a: 1\nb: [1, 2\nc: 3\n", (2, 4), ["the [ here is not closed", "stopped at line 3, column 2"]),
    ("a: 1\nb: {x: 1\nc: 3\n", (2, 4), ["the { here is not closed", "stopped at line 3, column 2"]),
    ('a: 1\nb: "abc\nc: 3\nd: 4\n', (2, 4), ["the quote here is not closed", "stopped at line 5"]),
    ("a: 1\nb: 'abc\nc: 3\n", (2, 4), ["the quote here is not closed", "stopped at line 4"]),
    ("x: 1\ndevices:\n  - kind: edge\n    roles: [a, b\n    serial: X\n", (4, 12),
     ["the [ here is not closed", "stopped at line 5, column 11"]),
    ("a: 1\nb\nc: 3\n", (2, 1), ["this key has no colon", "stopped at line 3"]),
    # the file ends inside a [ or {: the parser names no opener, the innermost one left open is found
    ("waves: [\n", (1, 8), ["the [ here is not closed", "stopped at line 2"]),
    ("x: 1\na: {\n", (2, 4), ["the { here is not closed"]),
    ("a: [[1], [2,\n", (1, 10), ["the [ here is not closed"]),
    # a quote left open runs on to the next quote; the parser trips just after it
    ('id: x\nname: "School No. 2\ndistrict: d\nmac: "02:00:00:00:00:01"\n', (2, 7),
     ["the quote here runs on to line 4", "stopped at line 4"]),
    # no construct left open: the problem's own place
    ("a: 1\nb:\n  c: 2\n d: 3\n", (4, 2), ["did not find expected key", "block mapping that starts at line 1"]),
    ("a: 1\n\tb: 2\n", (2, 1), ["tab"]),
    ("a: b: c\n", (1, 5), ["mapping values are not allowed"]),
    ("a: *x\n", (1, 4), ["undefined alias"]),
    ("--- a\n--- b\n", (2, 1), ["a single document", "(line 1)", "another document here"]),
    ("a: &x 1\nb: &x 2\n", (2, 4), ["duplicate anchor", "(line 1)"]),
]


@pytest.mark.parametrize(("text", "where", "words"), SYNTAX_CASES, ids=[c[0][:24] for c in SYNTAX_CASES])
def test_a_syntax_error_points_where_the_broken_construct_starts(text: str, where: tuple[int, int],
                                                                 words: list[str]) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_text(text, "f.yaml")
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.line, problem.location.column) == ("SN001", *where), problem.line()
    for word in words:
        assert word in problem.message, problem.line()


def test_file_level_errors(tmp_path: Path) -> None:
    cases = {"latin1.yaml": (b"name: caf\xe9\n", "SN004", 1), "empty.yaml": (b"", "SN005", 1),
             "big.yaml": (b"#" * 100, "SN006", 1)}
    for name, (content, code, line) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InventoryError) as caught:
            load_document(path, max_bytes=50)
        assert (caught.value.problems[0].code, caught.value.problems[0].location.line) == (code, line), name


def test_billion_laughs_is_stopped_without_eating_memory(tmp_path: Path) -> None:
    """Ten levels of nine aliases would be 10^9 nodes; the loader must refuse it within a 512 MB cap."""
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        name, prev = chr(97 + i), chr(96 + i)
        levels.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n")
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))\n"
        "from pathlib import Path\n"
        "from schoolnet.inventory.yamlload import load_document\n"
        "from schoolnet.problems import InventoryError\n"
        "try:\n"
        f"    load_document(Path({str(bomb)!r}))\n"
        "except InventoryError as exc:\n"
        "    print(exc.problems[0].code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "SN003", result.stderr
