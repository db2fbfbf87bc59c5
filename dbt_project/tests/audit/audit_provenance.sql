-- every draft row carries its provenance: demo_generated, the job id and a YYYY-MM source month
with drafts as (
    select company_id as record_id, is_demo_generated, demo_source_month from {{ job_drafts('companies') }} as d
    union all
    select contact_id, is_demo_generated, demo_source_month from {{ job_drafts('contacts') }} as d
    union all
    select deal_id, is_demo_generated, demo_source_month from {{ job_drafts('deals') }} as d
    union all
    select activity_id, is_demo_generated, demo_source_month from {{ job_drafts('activities') }} as d
)

select * from drafts
where not coalesce(is_demo_generated, false)
    or demo_source_month is null
    or length(demo_source_month) <> 7
