"""Pure, seeded generation of CRM records as Polars frames: no database, no Prefect."""
