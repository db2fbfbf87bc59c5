-- every draft row points at records of its own tenant that exist once the job is published
-- (live rows, not soft-deleted, or the job's own drafts). "coalesce(...) is null", not two "is null": PostgreSQL
-- would turn those into anti-joins, misjudge how many rows they leave, and loop over the drafts.
with stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

dangling as (
    select 'contacts.company_id' as reference, c.contact_id as record_id
    from {{ job_drafts('contacts') }} as c
    {{ join_parent('companies', 'company_id', 'c', 'company_id', 'p') }}
    where c.company_id is not null and coalesce(p.company_id, p_draft.company_id) is null

    union all

    select 'deals.contact_id', d.deal_id
    from {{ job_drafts('deals') }} as d
    {{ join_parent('contacts', 'contact_id', 'd', 'contact_id', 'p') }}
    where d.contact_id is not null and coalesce(p.contact_id, p_draft.contact_id) is null

    union all

    select 'deals.company_id', d.deal_id
    from {{ job_drafts('deals') }} as d
    {{ join_parent('companies', 'company_id', 'd', 'company_id', 'p') }}
    where d.company_id is not null and coalesce(p.company_id, p_draft.company_id) is null

    union all

    select 'deals.stage_id', d.deal_id
    from {{ job_drafts('deals') }} as d
    left join stages as p on d.stage_id = p.stage_id and d.tenant_id = p.tenant_id
    where p.stage_id is null

    union all

    select 'activities.contact_id', a.activity_id
    from {{ job_drafts('activities') }} as a
    {{ join_parent('contacts', 'contact_id', 'a', 'contact_id', 'p') }}
    where a.contact_id is not null and coalesce(p.contact_id, p_draft.contact_id) is null

    union all

    select 'activities.deal_id', a.activity_id
    from {{ job_drafts('activities') }} as a
    {{ join_parent('deals', 'deal_id', 'a', 'deal_id', 'p') }}
    where a.deal_id is not null and coalesce(p.deal_id, p_draft.deal_id) is null

    union all

    select 'activities.company_id', a.activity_id
    from {{ job_drafts('activities') }} as a
    {{ join_parent('companies', 'company_id', 'a', 'company_id', 'p') }}
    where a.company_id is not null and coalesce(p.company_id, p_draft.company_id) is null
)

select * from dangling
