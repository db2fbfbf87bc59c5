"""The checkout itself: where its files live (the dbt project, the plans kept in git) and its packages' loggers."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PLANS_DIR = PROJECT_ROOT / "plans"

# The project's top-level packages, whose loggers carry what each step did (CLI -v, Prefect task runs).
PROJECT_LOGGERS = ("flows", "generators")
