with source as (
    select * from {{ source('crm', 'activities') }}
),

final as (
    select
        id as activity_id,
        tenant_id,
        contact_id,
        deal_id,
        company_id,
        owner_id,
        type as activity_type,
        subject,
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
