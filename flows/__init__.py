"""demogen: plans, store, dbt wrapper, reports, Prefect flows and the CLI."""
