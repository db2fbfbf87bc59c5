-- One row per live deal with what the realism report reads: its stage (open or not, order,
-- level in the sales story), its tenant-local creation date and the days from there to its
-- expected close.

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

levels as (
    {{ stage_levels(ref('stg_crm__pipeline_stages')) }}
),

deals as (
    select * from {{ ref('stg_crm__deals') }}
    where not is_deleted
),

located as (
    select
        deals.*,
        cast(deals.created_at at time zone tenants.timezone as date) as created_date
    from deals
    inner join tenants on deals.tenant_id = tenants.tenant_id
),

final as (
    select
        located.tenant_id,
        located.deal_id,
        located.company_id,
        located.contact_id,
        located.demo_job_id,
        located.deal_name,
        located.created_at,
        located.created_date,
        located.closed_at,
        located.expected_close_date,
        {{ dbt.datediff('located.created_date', 'located.expected_close_date', 'day') }} as days_to_expected_close,
        stages.stage_name,
        stages.position as stage_position,
        not stages.is_won and not stages.is_lost as is_open,
        levels.stage_level
    from located
    left join stages on located.stage_id = stages.stage_id
    left join levels on located.stage_id = levels.stage_id
)

select * from final
