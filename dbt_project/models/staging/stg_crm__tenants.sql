with source as (
    select * from {{ source('crm', 'tenants') }}
),

final as (
    select
        id as tenant_id,
        name as tenant_name,
        slug,
        demo_generated as is_demo_generated,
        timezone,
        locale,
        currency,
        created_at
    from source
)

select * from final
