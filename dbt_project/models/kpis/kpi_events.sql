-- One row per record that counts towards a monthly KPI, with its tenant-local
-- month and what it adds to each metric (DESIGN decision 2). Summing these rows
-- by tenant and month gives kpi_monthly.

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

companies as (
    select * from {{ ref('stg_crm__companies') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

deals as (
    select * from {{ ref('stg_crm__deals') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

events as (
    select
        'companies' as entity,
        company_id as record_id,
        tenant_id,
        created_at,
        0 as leads_created,
        0 as contacts_created,
        1 as companies_created,
        0 as deals_created,
        0 as closed_won_count,
        cast(0 as {{ type_money() }}) as closed_won_value,
        cast(0 as {{ type_money() }}) as pipeline_added_value,
        0 as activities_count
    from companies
    where not is_deleted

    union all

    select
        'contacts',
        contact_id,
        tenant_id,
        created_at,
        case when is_lead then 1 else 0 end,
        case when is_lead then 0 else 1 end,
        0,
        0,
        0,
        cast(0 as {{ type_money() }}),
        cast(0 as {{ type_money() }}),
        0
    from contacts
    where not is_deleted

    union all

    select
        'deals',
        deals.deal_id,
        deals.tenant_id,
        deals.created_at,
        0,
        0,
        0,
        1,
        case when stages.is_won then 1 else 0 end,
        case when stages.is_won then deals.deal_value else cast(0 as {{ type_money() }}) end,
        case when stages.is_lost then cast(0 as {{ type_money() }}) else deals.deal_value end,
        0
    from deals
    inner join stages on deals.stage_id = stages.stage_id
    where not deals.is_deleted

    union all

    select
        'activities',
        activity_id,
        tenant_id,
        created_at,
        0,
        0,
        0,
        0,
        0,
        cast(0 as {{ type_money() }}),
        cast(0 as {{ type_money() }}),
        1
    from activities
    where not is_deleted
),

final as (
    select
        events.entity,
        events.record_id,
        events.tenant_id,
        events.created_at,
        {{ month_label(local_month('events.created_at', 'tenants.timezone')) }} as month,
        events.leads_created,
        events.contacts_created,
        events.companies_created,
        events.deals_created,
        events.closed_won_count,
        events.closed_won_value,
        events.pipeline_added_value,
        events.activities_count
    from events
    inner join tenants on events.tenant_id = tenants.tenant_id
)

select * from final
