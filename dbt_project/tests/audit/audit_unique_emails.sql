-- a draft contact's email is unique within its tenant, against live contacts too
select lower(email) as email, count(*) as n
from {{ ref('audit_contacts') }}
where email is not null and not is_deleted
group by lower(email)
having count(*) > 1 and max(case when is_draft then 1 else 0 end) = 1
