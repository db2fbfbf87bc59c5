-- Generated companies a job wrote, waiting for its audit before publishing (write–audit–publish).
with source as (
    select * from {{ source('crm', 'draft_companies') }}
),

final as (
    select
        {{ stg_crm_columns('companies', source('crm', 'draft_companies')) }}
    from source
)

select * from final
