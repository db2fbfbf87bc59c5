with source as (
    select * from {{ source('crm', 'companies') }}
),

final as (
    select
        id as company_id,
        tenant_id,
        owner_id,
        name as company_name,
        domain,
        industry,
        size as employee_band,
        city,
        country,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted,
        demo_generated as is_demo_generated,
        demo_job_id,
        demo_source_month
    from source
)

select * from final
