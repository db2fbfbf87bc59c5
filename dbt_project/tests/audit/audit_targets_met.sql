-- every targeted KPI, projected over published ∪ staged rows, is within its tolerance
{{ targets_missed(ref('audit_kpi_monthly')) }}
