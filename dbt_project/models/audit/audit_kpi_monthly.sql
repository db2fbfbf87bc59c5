-- The tenant's KPIs projected over published rows ∪ the job's drafts: what publishing the job would give.

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

companies as (
    select * from {{ ref('audit_companies') }}
),

contacts as (
    select * from {{ ref('audit_contacts') }}
),

deals as (
    select * from {{ ref('audit_deals') }}
),

activities as (
    select * from {{ ref('audit_activities') }}
),

events as (
    {{ kpi_events('tenants', 'stages', 'companies', 'contacts', 'deals', 'activities') }}
),

final as (
    {{ kpi_monthly('events') }}
)

select * from final
