"""The vars dbt_project.yml gives `dbt` run by hand are the values demogen passes from Python."""

from __future__ import annotations

import yaml

from flows.store import dbt_runner as dbt
from generators.clock import BUSINESS_HOURS
from generators.metrics import METRICS


def test_the_dbt_defaults_for_hand_runs_equal_the_python_values() -> None:
    project = yaml.safe_load((dbt.PROJECT_DIR / "dbt_project.yml").read_text())
    assert tuple(project["vars"]["business_hours"]) == BUSINESS_HOURS
    assert project["vars"]["kpi_columns"] == [m.column for m in METRICS]
    assert {name: project["vars"][name] for name in dbt.PROJECT_VARS} == dbt.PROJECT_VARS
