"""plans/plan.schema.json is generated from the model, and the example plans follow it."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from flows.plan.schema import SCHEMA_PATH, plan_schema, schema_text
from tests.plan.samples import EXAMPLES, FIXTURES


def test_schema_file_is_in_sync_with_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "plans/plan.schema.json is stale: run `python -m flows.plan.schema`"
    )


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_reference_the_schema_and_follow_it(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../plan.schema.json\n")
    jsonschema.validate(yaml.safe_load(text), plan_schema())


def test_schema_refuses_what_the_model_refuses() -> None:
    valid = json.loads((FIXTURES / "valid" / "january-2025.json").read_text(encoding="utf-8"))
    jsonschema.validate(valid, plan_schema())
    for broken in (
        valid | {"extra": 1},
        valid | {"mode": "sideways"},
        valid | {"months": [{"month": "2025-13"}]},
        valid | {"months": [{"month": "2025-01", "metrics": {"leads": 1}}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, plan_schema())
