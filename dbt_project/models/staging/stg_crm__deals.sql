with source as (
    select * from {{ source('crm', 'deals') }}
),

final as (
    select
        {{ stg_deals_columns() }}
    from source
)

select * from final
