with source as (
    select * from {{ source('crm', 'deals') }}
),

final as (
    select
        id as deal_id,
        tenant_id,
        contact_id,
        company_id,
        owner_id,
        stage_id,
        name as deal_name,
        cast(value as {{ type_money() }}) as deal_value,
        currency,
        expected_close_date,
        closed_at,
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
