-- The tenant's KPIs in the months the job targets, projected over published rows ∪ the job's
-- drafts: what publishing the job would give.
-- depends_on: {{ ref('stg_crm__companies') }}
-- depends_on: {{ ref('stg_crm__contacts') }}
-- depends_on: {{ ref('stg_crm__deals') }}
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_crm__draft_companies') }}
-- depends_on: {{ ref('stg_crm__draft_contacts') }}
-- depends_on: {{ ref('stg_crm__draft_deals') }}
-- depends_on: {{ ref('stg_crm__draft_activities') }}
-- depends_on: {{ ref('stg_crm__patch_job_targets') }}

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

companies as (
    {{ published_and_drafts('companies') }}
),

contacts as (
    {{ published_and_drafts('contacts') }}
),

deals as (
    {{ published_and_drafts('deals') }}
),

activities as (
    {{ published_and_drafts('activities') }}
),

events as (
    {{ kpi_events('tenants', 'stages', 'companies', 'contacts', 'deals', 'activities') }}
),

final as (
    {{ kpi_monthly('events') }}
)

select * from final
