with source as (
    select * from {{ source('crm', 'activities') }}
),

final as (
    select
        {{ stg_crm_columns('activities', source('crm', 'activities')) }}
    from source
)

select * from final
