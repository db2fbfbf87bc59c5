-- One row per live record that counts towards a monthly KPI, with its
-- tenant-local month and what it adds to each metric (macro kpi_events).

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

final as (
    {{ kpi_events('tenants', 'stages', 'companies', 'contacts', 'deals', 'activities') }}
)

select * from final
