-- The tenant's live contacts plus the job's staged ones: the contacts as publishing would leave them.
-- depends_on: {{ ref('stg_crm__contacts') }}
-- depends_on: {{ ref('stg_crm__staged_contacts') }}

{{ published_and_staged('contacts') }}
