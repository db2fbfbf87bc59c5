-- a draft deal expects to close (or closed) within the longest sales cycle: at most that many
-- days after its tenant-local creation date
with tenants as (
    select * from {{ ref('stg_crm__tenants') }}
)

select d.deal_id, d.created_at, d.expected_close_date
from {{ job_drafts('deals') }} as d
inner join tenants on d.tenant_id = tenants.tenant_id
where d.expected_close_date
    > cast(d.created_at at time zone tenants.timezone as date) + {{ var('sales_cycle_days')[1] }}
