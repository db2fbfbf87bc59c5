-- Generated activities a job wrote, waiting for its audit before publishing (write–audit–publish).
with source as (
    select * from {{ source('crm', 'draft_activities') }}
),

final as (
    select
        {{ stg_crm_columns('activities', source('crm', 'draft_activities')) }}
    from source
)

select * from final
