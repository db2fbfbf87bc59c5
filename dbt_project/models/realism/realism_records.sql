-- One row per live record of the four entities, with the tenant-local hour and weekday of its
-- creation: the realism report's business-hours and weekday shares.

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

records as (
    {%- for entity, id in [('companies', 'company_id'), ('contacts', 'contact_id'), ('deals', 'deal_id'), ('activities', 'activity_id')] %}
    select '{{ entity }}' as entity, {{ id }} as record_id, tenant_id, demo_job_id, created_at
    from {{ ref('stg_crm__' ~ entity) }}
    where not is_deleted
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

located as (
    select
        records.*,
        {{ local_hour('records.created_at', 'tenants.timezone') }} as local_hour,
        {{ local_weekday('records.created_at', 'tenants.timezone') }} as local_weekday
    from records
    inner join tenants on records.tenant_id = tenants.tenant_id
),

final as (
    select
        tenant_id,
        entity,
        record_id,
        demo_job_id,
        created_at,
        {{ is_business_hour('local_hour') }} as is_in_business_hours,
        {{ is_weekday('local_weekday') }} as is_on_weekday
    from located
)

select * from final
