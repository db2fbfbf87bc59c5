-- every draft row points at records of its own tenant that exist once the job is published
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

dangling as (
    select 'contacts.company_id' as reference, c.contact_id as record_id
    from contacts as c
    left join companies as p on c.company_id = p.company_id and c.tenant_id = p.tenant_id
    where c.is_draft and c.company_id is not null and p.company_id is null

    union all

    select 'deals.contact_id', d.deal_id
    from deals as d
    left join contacts as p on d.contact_id = p.contact_id and d.tenant_id = p.tenant_id
    where d.is_draft and d.contact_id is not null and p.contact_id is null

    union all

    select 'deals.company_id', d.deal_id
    from deals as d
    left join companies as p on d.company_id = p.company_id and d.tenant_id = p.tenant_id
    where d.is_draft and d.company_id is not null and p.company_id is null

    union all

    select 'deals.stage_id', d.deal_id
    from deals as d
    left join stages as p on d.stage_id = p.stage_id and d.tenant_id = p.tenant_id
    where d.is_draft and p.stage_id is null

    union all

    select 'activities.contact_id', a.activity_id
    from activities as a
    left join contacts as p on a.contact_id = p.contact_id and a.tenant_id = p.tenant_id
    where a.is_draft and a.contact_id is not null and p.contact_id is null

    union all

    select 'activities.deal_id', a.activity_id
    from activities as a
    left join deals as p on a.deal_id = p.deal_id and a.tenant_id = p.tenant_id
    where a.is_draft and a.deal_id is not null and p.deal_id is null

    union all

    select 'activities.company_id', a.activity_id
    from activities as a
    left join companies as p on a.company_id = p.company_id and a.tenant_id = p.tenant_id
    where a.is_draft and a.company_id is not null and p.company_id is null
)

select * from dangling
