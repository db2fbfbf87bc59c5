-- draft records keep lifecycle order: company ≤ contact ≤ deal ≤ close, activity after its contact and
-- deal and not after the deal closed (their parents live or drafted by the job)
with stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

violations as (
    select 'contact before its company' as rule, c.contact_id as record_id
    from {{ job_drafts('contacts') }} as c
    {{ join_parent('companies', 'company_id', 'c', 'company_id', 'p') }}
    where c.created_at < coalesce(p.created_at, p_draft.created_at)

    union all

    select 'deal before its contact', d.deal_id
    from {{ job_drafts('deals') }} as d
    {{ join_parent('contacts', 'contact_id', 'd', 'contact_id', 'p') }}
    where d.created_at < coalesce(p.created_at, p_draft.created_at)

    union all

    select 'deal before its company', d.deal_id
    from {{ job_drafts('deals') }} as d
    {{ join_parent('companies', 'company_id', 'd', 'company_id', 'p') }}
    where d.created_at < coalesce(p.created_at, p_draft.created_at)

    union all

    select 'closed before created', d.deal_id
    from {{ job_drafts('deals') }} as d
    where d.closed_at < d.created_at

    union all

    select 'won or lost deal without closed_at', d.deal_id
    from {{ job_drafts('deals') }} as d
    inner join stages as s on d.stage_id = s.stage_id
    where (s.is_won or s.is_lost) and d.closed_at is null

    union all

    select 'open deal with closed_at or no later expected close', d.deal_id
    from {{ job_drafts('deals') }} as d
    inner join stages as s on d.stage_id = s.stage_id
    where not s.is_won and not s.is_lost
        and (d.closed_at is not null or d.expected_close_date is null
             or d.expected_close_date < cast(d.created_at as date))

    union all

    select 'activity before its contact', a.activity_id
    from {{ job_drafts('activities') }} as a
    {{ join_parent('contacts', 'contact_id', 'a', 'contact_id', 'p') }}
    where a.created_at < coalesce(p.created_at, p_draft.created_at)

    union all

    select
        case
            when a.created_at < coalesce(p.created_at, p_draft.created_at) then 'activity before its deal'
            else 'activity after its deal closed'
        end,
        a.activity_id
    from {{ job_drafts('activities') }} as a
    {{ join_parent('deals', 'deal_id', 'a', 'deal_id', 'p') }}
    where a.created_at < coalesce(p.created_at, p_draft.created_at)
        or a.created_at > coalesce(p.closed_at, p_draft.closed_at)
)

select * from violations
