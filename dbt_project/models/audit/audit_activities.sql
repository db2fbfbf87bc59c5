-- The tenant's live activities plus the job's staged ones: the activities as publishing would leave them.
-- depends_on: {{ ref('stg_crm__activities') }}
-- depends_on: {{ ref('stg_crm__staged_activities') }}

{{ published_and_staged('activities') }}
