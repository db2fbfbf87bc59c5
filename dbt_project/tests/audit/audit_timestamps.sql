-- draft records are created in their source month (tenant-local), in business hours,
-- not after the job's as-of time and not before the tenant existed
{% set as_of = job_as_of() %}

with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
),

drafts as (
    select 'companies' as entity, company_id as record_id, tenant_id, created_at,
        cast(null as timestamp with time zone) as closed_at, demo_source_month
    from {{ job_drafts('companies') }} as d
    union all
    select 'contacts', contact_id, tenant_id, created_at, null, demo_source_month
    from {{ job_drafts('contacts') }} as d
    union all
    select 'deals', deal_id, tenant_id, created_at, closed_at, demo_source_month
    from {{ job_drafts('deals') }} as d
    union all
    select 'activities', activity_id, tenant_id, created_at, null, demo_source_month
    from {{ job_drafts('activities') }} as d
),

located as (
    select
        drafts.*,
        tenants.created_at as tenant_created_at,
        {{ month_label(local_month('drafts.created_at', 'tenants.timezone')) }} as local_month,
        {{ local_hour('drafts.created_at', 'tenants.timezone') }} as local_hour
    from drafts
    inner join tenants on drafts.tenant_id = tenants.tenant_id
),

violations as (
    select entity, record_id, created_at, closed_at, local_month, demo_source_month, local_hour
    from located
    where local_month <> demo_source_month
        or not {{ is_business_hour('local_hour') }}
        or created_at > {{ as_of }}
        or closed_at > {{ as_of }}
        or created_at < tenant_created_at
)

select * from violations
