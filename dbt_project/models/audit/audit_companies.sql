-- The tenant's live companies plus the job's drafts: the companies as publishing would leave them.
-- depends_on: {{ ref('stg_crm__companies') }}
-- depends_on: {{ ref('stg_crm__draft_companies') }}

{{ published_and_drafts('companies') }}
