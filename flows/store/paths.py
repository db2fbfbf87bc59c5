"""Where the checkout's own files live: the dbt project and the plans kept in git."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PLANS_DIR = PROJECT_ROOT / "plans"
