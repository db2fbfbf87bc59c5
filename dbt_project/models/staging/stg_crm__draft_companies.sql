-- Generated companies a job wrote, waiting for its audit before publishing (write–audit–publish).
-- A plain select, as in stg_crm__companies: joins probe the table's indexes through it.
select
    {{ stg_crm_columns('companies', source('crm', 'draft_companies')) }}
from {{ source('crm', 'draft_companies') }}
