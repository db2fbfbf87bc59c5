-- none of the job's drafts belongs to another tenant
with drafts as (
    select tenant_id, company_id as record_id from {{ job_drafts('companies') }} as d
    union all
    select tenant_id, contact_id from {{ job_drafts('contacts') }} as d
    union all
    select tenant_id, deal_id from {{ job_drafts('deals') }} as d
    union all
    select tenant_id, activity_id from {{ job_drafts('activities') }} as d
)

select * from drafts
where tenant_id <> {{ job_tenant_id() }}
