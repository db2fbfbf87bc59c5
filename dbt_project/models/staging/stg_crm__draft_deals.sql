-- Generated deals a job wrote, waiting for its audit before publishing (write–audit–publish).
-- A plain select, as in stg_crm__deals: joins probe the table's indexes through it.
select
    {{ stg_crm_columns('deals', source('crm', 'draft_deals')) }}
from {{ source('crm', 'draft_deals') }}
