-- One row per live activity with what the realism report reads: the step of the sales story
-- its subject mentions, its deal's level, whether it came after its deal closed, and whether
-- its contact has a deal at all.

with levels as (
    {{ stage_levels(ref('stg_crm__pipeline_stages')) }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
    where not is_deleted
),

deals as (
    select * from {{ ref('stg_crm__deals') }}
    where not is_deleted
),

-- read apart from `deals`: a CTE used twice is materialized whole by PostgreSQL, before any
-- filter on the view (a tenant, a job) reaches it
buyers as (
    select * from {{ ref('stg_crm__deals') }}
    where not is_deleted
),

final as (
    select
        activities.tenant_id,
        activities.activity_id,
        activities.contact_id,
        activities.deal_id,
        activities.demo_job_id,
        activities.subject,
        activities.created_at,
        {{ activity_step('activities.subject') }} as story_step,
        levels.stage_level as deal_level,
        coalesce(activities.created_at > deals.closed_at, false) as is_after_deal_closed,
        -- a lookup per activity (an index probe on PostgreSQL), so a job's activities never
        -- wait for every deal of the database to be grouped by contact
        exists (
            select 1 from buyers
            where buyers.contact_id = activities.contact_id and buyers.tenant_id = activities.tenant_id
        ) as contact_has_deal
    from activities
    left join deals on activities.deal_id = deals.deal_id and activities.tenant_id = deals.tenant_id
    left join levels on deals.stage_id = levels.stage_id
)

select * from final
