with source as (
    select * from {{ source('crm', 'contacts') }}
),

final as (
    select
        id as contact_id,
        tenant_id,
        company_id,
        owner_id,
        first_name,
        last_name,
        email,
        phone,
        job_title,
        status,
        status = 'lead' as is_lead,
        source as lead_source,
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
