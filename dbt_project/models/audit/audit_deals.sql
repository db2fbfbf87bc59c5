-- The tenant's live deals plus the job's drafts: the deals as publishing would leave them.
-- depends_on: {{ ref('stg_crm__deals') }}
-- depends_on: {{ ref('stg_crm__draft_deals') }}

{{ published_and_drafts('deals') }}
