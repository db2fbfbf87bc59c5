-- after publishing, the live KPI model meets every target of the job within its tolerance
{{ targets_missed(ref('kpi_monthly')) }}
