with source as (
    select * from {{ source('crm', 'pipeline_stages') }}
),

final as (
    select
        id as stage_id,
        tenant_id,
        name as stage_name,
        position,
        is_won,
        is_lost
    from source
)

select * from final
