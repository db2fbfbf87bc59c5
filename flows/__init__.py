"""demogen: the Prefect flows on top; plan, engine, kpis, store, cli by concern below (docs/ARCHITECTURE.md)."""
