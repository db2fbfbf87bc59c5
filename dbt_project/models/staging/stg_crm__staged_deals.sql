-- Generated deals waiting in write–audit–publish staging, tagged with their job.
with source as (
    select * from {{ source('crm', 'staged_deals') }}
),

final as (
    select
        {{ stg_deals_columns() }}
    from source
)

select * from final
