-- a month never wins more deals than it created (closed won is attributed to the created month)
select tenant_id, month, closed_won_count, deals_created
from {{ ref('kpi_monthly') }}
where closed_won_count > deals_created
