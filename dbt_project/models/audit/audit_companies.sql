-- The tenant's live companies plus the job's staged ones: the companies as publishing would leave them.
-- depends_on: {{ ref('stg_crm__companies') }}
-- depends_on: {{ ref('stg_crm__staged_companies') }}

{{ published_and_staged('companies') }}
