-- The eight KPI metrics, one row per tenant and tenant-local month that
-- holds any counted record. Months without data have no row: readers fill zeros.

with events as (
    select * from {{ ref('kpi_events') }}
),

final as (
    {{ kpi_monthly('events') }}
)

select * from final
