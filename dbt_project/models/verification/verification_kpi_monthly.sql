-- The tenant's live KPIs in the months the job targets: what the job's verification checks
-- after publishing. The same KPI definition as kpi_monthly, read only where the job's months lie.
-- depends_on: {{ ref('stg_crm__patch_job_targets') }}

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

{% for entity in ['companies', 'contacts', 'deals', 'activities'] %}
{{ entity }} as (
    select * from {{ ref('stg_crm__' ~ entity) }}
    where tenant_id = {{ job_tenant_id() }}
        and {{ in_target_months_window('created_at') }}
),
{% endfor %}

events as (
    {{ kpi_events('tenants', 'stages', 'companies', 'contacts', 'deals', 'activities') }}
),

final as (
    {{ kpi_monthly('events') }}
)

select * from final
