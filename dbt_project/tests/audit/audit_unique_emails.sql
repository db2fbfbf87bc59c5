-- a draft contact's email is unique within its tenant, against live contacts too
with contacts as (
    select contact_id, lower(email) as email
    from {{ ref('audit_contacts') }}
    where email is not null and not is_deleted
),

draft_emails as (
    select contact_id, lower(email) as email
    from {{ ref('audit_contacts') }}
    where is_draft and email is not null and not is_deleted
),

clashes as (
    select draft_emails.email, contacts.contact_id
    from draft_emails
    inner join contacts
        on contacts.email = draft_emails.email and contacts.contact_id <> draft_emails.contact_id
)

select email, count(*) as n
from clashes
group by email
