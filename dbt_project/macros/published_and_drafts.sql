{# An entity's rows as publishing the job would leave them: the tenant's live rows
   plus the job's drafts, flagged with is_draft. Job and tenant come from --vars. #}
{% macro published_and_drafts(entity) %}
    with published as (
        select * from {{ ref('stg_crm__' ~ entity) }}
        where tenant_id = '{{ var("tenant_id") }}'
    ),

    drafts as (
        select * from {{ ref('stg_crm__draft_' ~ entity) }}
        where demo_job_id = '{{ var("job_id") }}'
    ),

    final as (
        select published.*, false as is_draft from published
        union all
        select drafts.*, true as is_draft from drafts
    )

    select * from final
{% endmacro %}
