-- Generated companies waiting in write–audit–publish staging, tagged with their job.
with source as (
    select * from {{ source('crm', 'staged_companies') }}
),

final as (
    select
        {{ stg_companies_columns() }}
    from source
)

select * from final
