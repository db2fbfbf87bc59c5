-- every targeted KPI, projected over published rows ∪ the job's drafts, is within its tolerance
{{ targets_missed(ref('audit_kpi_monthly')) }}
