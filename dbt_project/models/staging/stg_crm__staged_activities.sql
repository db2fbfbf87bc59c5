-- Generated activities waiting in write–audit–publish staging, tagged with their job.
with source as (
    select * from {{ source('crm', 'staged_activities') }}
),

final as (
    select
        {{ stg_activities_columns() }}
    from source
)

select * from final
