-- Generated contacts waiting in write–audit–publish staging, tagged with their job.
with source as (
    select * from {{ source('crm', 'staged_contacts') }}
),

final as (
    select
        {{ stg_contacts_columns() }}
    from source
)

select * from final
