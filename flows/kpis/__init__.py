"""Monthly KPIs: reads from the dbt KPI model, number formatting, diff reports and their exports."""
