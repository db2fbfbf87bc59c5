-- pipeline added value (open + won deals) is never below closed-won value in a month
select tenant_id, month, pipeline_added_value, closed_won_value
from {{ ref('kpi_monthly') }}
where pipeline_added_value < closed_won_value
