with source as (
    select * from {{ source('crm', 'companies') }}
),

final as (
    select
        {{ stg_crm_columns('companies', source('crm', 'companies')) }}
    from source
)

select * from final
