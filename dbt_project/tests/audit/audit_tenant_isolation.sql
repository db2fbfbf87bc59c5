-- nothing the job staged belongs to another tenant
with staged as (
    select tenant_id, company_id as record_id from {{ ref('audit_companies') }} where is_staged
    union all
    select tenant_id, contact_id from {{ ref('audit_contacts') }} where is_staged
    union all
    select tenant_id, deal_id from {{ ref('audit_deals') }} where is_staged
    union all
    select tenant_id, activity_id from {{ ref('audit_activities') }} where is_staged
)

select * from staged
where tenant_id <> '{{ var("tenant_id") }}'
