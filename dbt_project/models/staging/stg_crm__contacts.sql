with source as (
    select * from {{ source('crm', 'contacts') }}
),

final as (
    select
        {{ stg_crm_columns('contacts', source('crm', 'contacts')) }}
    from source
)

select * from final
