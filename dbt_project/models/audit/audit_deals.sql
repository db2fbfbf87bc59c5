-- The tenant's live deals plus the job's staged ones: the deals as publishing would leave them.
-- depends_on: {{ ref('stg_crm__deals') }}
-- depends_on: {{ ref('stg_crm__staged_deals') }}

{{ published_and_staged('deals') }}
