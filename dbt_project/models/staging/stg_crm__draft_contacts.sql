-- Generated contacts a job wrote, waiting for its audit before publishing (write–audit–publish).
with source as (
    select * from {{ source('crm', 'draft_contacts') }}
),

final as (
    select
        {{ stg_crm_columns('contacts', source('crm', 'draft_contacts')) }}
    from source
)

select * from final
