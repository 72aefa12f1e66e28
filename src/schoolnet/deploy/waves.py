"""Roll out in waves: a pilot first, then districts; stop when a wave fails too often.

    # waves.yaml
    max_failure_rate: 0.2          # a wave failing on more than 20 % of its hosts halts the rollout
    waves:
      - {name: pilot, limit: ["school:nx-sad-001", "role:vpn-hub"]}
      - {name: sadarak, limit: ["district:sadarak"]}

A waves file is read like an inventory file (the same loader and schema problems), so a
mistake in it is a file:line error with a rule code before any host is touched.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from schoolnet.inventory.yamlload import load_document
from schoolnet.model.build import schema_problems
from schoolnet.model.select import LimitError, parse_limit
from schoolnet.model.types import Name, Strict
from schoolnet.problems import InventoryError


class Wave(Strict):
    name: Name
    limit: list[str] = Field(min_length=1)

    @field_validator("limit")
    @classmethod
    def _limits_parse(cls, limits: list[str]) -> list[str]:
        for expression in limits:
            try:
                parse_limit(expression)
            except LimitError as exc:
                raise ValueError(str(exc).removeprefix("--limit ")) from None
        return limits


class Waves(Strict):
    max_failure_rate: float = Field(0.2, ge=0, le=1)
    waves: list[Wave] = Field(min_length=1)


def load_waves(path: Path) -> Waves:
    """The waves file, typed; InventoryError (file:line problems) when it cannot be used."""
    document = load_document(path)
    try:
        return Waves.model_validate(document.data)
    except ValidationError as exc:
        raise InventoryError(schema_problems(exc, document, Waves)) from None


def failure_rate(failed: int, total: int) -> float:
    return failed / total if total else 0.0
