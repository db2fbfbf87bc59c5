-- none of the job's drafts belongs to another tenant
with drafts as (
    select tenant_id, company_id as record_id from {{ ref('audit_companies') }} where is_draft
    union all
    select tenant_id, contact_id from {{ ref('audit_contacts') }} where is_draft
    union all
    select tenant_id, deal_id from {{ ref('audit_deals') }} where is_draft
    union all
    select tenant_id, activity_id from {{ ref('audit_activities') }} where is_draft
)

select * from drafts
where tenant_id <> {{ job_tenant_id() }}
