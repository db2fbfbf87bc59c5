-- Generated contacts a job wrote, waiting for its audit before publishing (write–audit–publish).
-- A plain select, as in stg_crm__contacts: joins probe the table's indexes through it.
select
    {{ stg_crm_columns('contacts', source('crm', 'draft_contacts')) }}
from {{ source('crm', 'draft_contacts') }}
