-- The tenant's live contacts plus the job's staged ones: the contacts as publishing would leave them.

with published as (
    select * from {{ ref('stg_crm__contacts') }}
    where tenant_id = '{{ var("tenant_id") }}'
),

staged as (
    select * from {{ ref('stg_crm__staged_contacts') }}
    where demo_job_id = '{{ var("job_id") }}'
),

final as (
    select published.*, false as is_staged from published
    union all
    select staged.*, true as is_staged from staged
)

select * from final
