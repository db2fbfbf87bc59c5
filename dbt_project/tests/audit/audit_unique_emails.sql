-- a draft contact's email is unique within its tenant, against live contacts too
-- (each CTE is read once: PostgreSQL materializes a CTE read twice, and a self-join of the
-- drafts on their emails sorted both sides; grouping them took half the time on 1M drafts)
with drafts as (
    select contact_id, tenant_id, lower(email) as email
    from {{ job_drafts('contacts') }} as c
    where email is not null and not is_deleted
),

drafted_emails as (
    select lower(email) as email
    from {{ job_drafts('contacts') }} as c
    where email is not null and not is_deleted
),

clashes as (
    select drafts.email
    from drafts
    inner join {{ ref('stg_crm__contacts') }} as live
        on live.tenant_id = drafts.tenant_id and lower(live.email) = drafts.email and not live.is_deleted
        -- a draft under a live contact's id is that contact's new version, not a second one
        and live.contact_id <> drafts.contact_id

    union all

    -- an email two drafts share
    select email
    from drafted_emails
    group by email
    having count(*) > 1
)

select email, count(*) as n
from clashes
group by email
