"""JSON Schema for each kind of inventory file, for editors' completion and hover docs."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schoolnet.model.datacenter import Datacenter
from schoolnet.model.environment import Environment
from schoolnet.model.ledger import Ledger
from schoolnet.model.programme import Hardware, Programme
from schoolnet.model.school import School

SCHEMAS: dict[str, type[BaseModel]] = {
    "programme": Programme,
    "hardware": Hardware,
    "ipam": Ledger,
    "datacenter": Datacenter,
    "school": School,
    "environment": Environment,
}


def schema_text(kind: str) -> str:
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                **SCHEMAS[kind].model_json_schema()}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_schemas(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMAS:
        path = out / f"{kind}.schema.json"
        path.write_text(schema_text(kind), encoding="utf-8")
        written.append(path)
    return written
