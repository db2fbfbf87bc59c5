with source as (
    select * from {{ source('crm', 'deals') }}
),

final as (
    select
        {{ stg_crm_columns('deals', source('crm', 'deals')) }}
    from source
)

select * from final
