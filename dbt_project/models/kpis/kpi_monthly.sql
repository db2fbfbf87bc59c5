-- The eight PRD §3.4 metrics, one row per tenant and tenant-local month that
-- holds any counted record. Months without data have no row: readers fill zeros.

with events as (
    select * from {{ ref('kpi_events') }}
),

final as (
    select
        tenant_id,
        month,
        sum(leads_created) as leads_created,
        sum(contacts_created) as contacts_created,
        sum(companies_created) as companies_created,
        sum(deals_created) as deals_created,
        sum(closed_won_count) as closed_won_count,
        sum(closed_won_value) as closed_won_value,
        sum(pipeline_added_value) as pipeline_added_value,
        sum(activities_count) as activities_count
    from events
    group by tenant_id, month
)

select * from final
