-- The tenant's live activities plus the job's drafts: the activities as publishing would leave them.
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_crm__draft_activities') }}

{{ published_and_drafts('activities') }}
