with source as (
    select * from {{ source('crm', 'companies') }}
),

final as (
    select
        {{ stg_companies_columns() }}
    from source
)

select * from final
