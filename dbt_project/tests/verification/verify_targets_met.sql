-- after publishing, the live KPIs meet every target of the job within its tolerance
{{ targets_missed(ref('verification_kpi_monthly')) }}
