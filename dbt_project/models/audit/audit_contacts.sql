-- The tenant's live contacts plus the job's drafts: the contacts as publishing would leave them.
-- depends_on: {{ ref('stg_crm__contacts') }}
-- depends_on: {{ ref('stg_crm__draft_contacts') }}

{{ published_and_drafts('contacts') }}
