with source as (
    select * from {{ source('crm', 'activities') }}
),

final as (
    select
        {{ stg_activities_columns() }}
    from source
)

select * from final
