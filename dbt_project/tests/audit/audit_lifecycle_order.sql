-- draft records keep lifecycle order: company ≤ contact ≤ deal ≤ close, activity after its contact and deal
with companies as (
    select * from {{ ref('audit_companies') }}
),

contacts as (
    select * from {{ ref('audit_contacts') }}
),

deals as (
    select * from {{ ref('audit_deals') }}
),

activities as (
    select * from {{ ref('audit_activities') }}
),

stages as (
    select * from {{ ref('stg_crm__pipeline_stages') }}
),

violations as (
    select 'contact before its company' as rule, c.contact_id as record_id
    from contacts as c
    inner join companies as p on c.company_id = p.company_id
    where c.is_draft and c.created_at < p.created_at

    union all

    select 'deal before its contact', d.deal_id
    from deals as d
    inner join contacts as p on d.contact_id = p.contact_id
    where d.is_draft and d.created_at < p.created_at

    union all

    select 'deal before its company', d.deal_id
    from deals as d
    inner join companies as p on d.company_id = p.company_id
    where d.is_draft and d.created_at < p.created_at

    union all

    select 'closed before created', d.deal_id
    from deals as d
    where d.is_draft and d.closed_at < d.created_at

    union all

    select 'won or lost deal without closed_at', d.deal_id
    from deals as d
    inner join stages as s on d.stage_id = s.stage_id
    where d.is_draft and (s.is_won or s.is_lost) and d.closed_at is null

    union all

    select 'open deal with closed_at or no later expected close', d.deal_id
    from deals as d
    inner join stages as s on d.stage_id = s.stage_id
    where d.is_draft and not s.is_won and not s.is_lost
        and (d.closed_at is not null or d.expected_close_date is null
             or d.expected_close_date < cast(d.created_at as date))

    union all

    select 'activity before its contact', a.activity_id
    from activities as a
    inner join contacts as p on a.contact_id = p.contact_id
    where a.is_draft and a.created_at < p.created_at

    union all

    select 'activity before its deal', a.activity_id
    from activities as a
    inner join deals as p on a.deal_id = p.deal_id
    where a.is_draft and a.created_at < p.created_at
)

select * from violations
