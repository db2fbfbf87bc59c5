-- every draft row carries its provenance: demo_generated, the job id and a YYYY-MM source month
with drafts as (
    select company_id as record_id, is_demo_generated, demo_source_month from {{ ref('audit_companies') }} where is_draft
    union all
    select contact_id, is_demo_generated, demo_source_month from {{ ref('audit_contacts') }} where is_draft
    union all
    select deal_id, is_demo_generated, demo_source_month from {{ ref('audit_deals') }} where is_draft
    union all
    select activity_id, is_demo_generated, demo_source_month from {{ ref('audit_activities') }} where is_draft
)

select * from drafts
where not coalesce(is_demo_generated, false)
    or demo_source_month is null
    or length(demo_source_month) <> 7
