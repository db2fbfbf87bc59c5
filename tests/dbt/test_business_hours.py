"""The business hours dbt audits by default are the generators' business hours."""

from __future__ import annotations

import yaml

from flows.store import dbt_runner as dbt
from generators.clock import BUSINESS_HOURS


def test_the_dbt_default_for_hand_runs_equals_the_python_constant() -> None:
    project = yaml.safe_load((dbt.PROJECT_DIR / "dbt_project.yml").read_text())
    assert tuple(project["vars"]["business_hours"]) == BUSINESS_HOURS
