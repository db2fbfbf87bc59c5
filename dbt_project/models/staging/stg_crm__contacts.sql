with source as (
    select * from {{ source('crm', 'contacts') }}
),

final as (
    select
        {{ stg_contacts_columns() }}
    from source
)

select * from final
