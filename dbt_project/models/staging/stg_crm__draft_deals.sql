-- Generated deals a job wrote, waiting for its audit before publishing (write–audit–publish).
with source as (
    select * from {{ source('crm', 'draft_deals') }}
),

final as (
    select
        {{ stg_crm_columns('deals', source('crm', 'draft_deals')) }}
    from source
)

select * from final
