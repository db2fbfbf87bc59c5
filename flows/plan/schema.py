"""Writes plans/plan.schema.json, the JSON Schema editors use for plans, from the plan model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from flows.plan.model import PatchPlan
from flows.store.paths import PLANS_DIR

SCHEMA_PATH = PLANS_DIR / "plan.schema.json"


def plan_schema() -> dict[str, Any]:
    """The plan model's JSON Schema (draft 2020-12), keys as plan files spell them."""
    schema = PatchPlan.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    return json.dumps(plan_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    path.write_text(schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_PATH))
