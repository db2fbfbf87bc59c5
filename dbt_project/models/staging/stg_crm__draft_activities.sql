-- Generated activities a job wrote, waiting for its audit before publishing (write–audit–publish).
-- A plain select, as in stg_crm__activities: joins probe the table's indexes through it.
select
    {{ stg_crm_columns('activities', source('crm', 'draft_activities')) }}
from {{ source('crm', 'draft_activities') }}
