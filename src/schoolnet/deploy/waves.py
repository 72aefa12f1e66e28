"""Roll out in waves: a pilot first, then districts; stop when a wave fails too often.

    # waves.yaml
    max_failure_rate: 0.2          # a wave failing on more than 20 % of its hosts halts the rollout
    waves:
      - {name: pilot, limit: ["school:nx-sad-001", "role:vpn-hub"]}
      - {name: sadarak, limit: ["district:sadarak"]}
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from schoolnet.model.types import Name, Strict


class Wave(Strict):
    name: Name
    limit: list[str] = Field(min_length=1)


class Waves(Strict):
    max_failure_rate: float = Field(0.2, ge=0, le=1)
    waves: list[Wave] = Field(min_length=1)


class WavesError(ValueError):
    """The waves file cannot be used; the message says why."""


def load_waves(path: Path) -> Waves:
    try:
        return Waves.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise WavesError(f"{path}: {exc.strerror}") from None
    except (yaml.YAMLError, ValidationError) as exc:
        first = str(exc).splitlines()[:3]
        raise WavesError(f"{path}: not a waves file: {' '.join(first)}") from None


def failure_rate(failed: int, total: int) -> float:
    return failed / total if total else 0.0
