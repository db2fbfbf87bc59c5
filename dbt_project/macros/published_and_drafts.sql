{# An entity's rows in the months the job targets as publishing the job would leave them:
   the tenant's live rows that may fall in those months (a range the (tenant_id, created_at)
   index serves, so projecting KPIs costs what the job's months hold, not the tenant) plus
   the job's drafts, flagged with is_draft. A draft under the id of a live row is that row's
   new version (RECONCILE edits and soft-deletes): it stands in for the row.
   The drafts are named twice rather than through one CTE: PostgreSQL materializes a CTE read
   twice, every column of every draft, before the anti-join sorts it (seconds for 1M drafts). #}
{% macro published_and_drafts(entity) %}
    {%- set key = {'companies': 'company_id', 'contacts': 'contact_id', 'deals': 'deal_id',
                   'activities': 'activity_id'}[entity] -%}
    with drafts as (
        select * from {{ ref('stg_crm__draft_' ~ entity) }}
        where demo_job_id = {{ job_id() }}
    ),

    published as (
        select * from {{ ref('stg_crm__' ~ entity) }} as live
        where tenant_id = {{ job_tenant_id() }}
            and {{ in_target_months_window('created_at') }}
            and not exists (
                select 1 from {{ ref('stg_crm__draft_' ~ entity) }} as drafted
                where drafted.demo_job_id = {{ job_id() }} and drafted.{{ key }} = live.{{ key }}
            )
    ),

    final as (
        select published.*, false as is_draft from published
        union all
        select drafts.*, true as is_draft from drafts
    )

    select * from final
{% endmacro %}

{# A window of instants holding every tenant-local month the job targets, two days wider
   on each side than the months in UTC (no timezone is 14 hours away): callers still
   place each record in its local month. #}
{% macro in_target_months_window(created_at) -%}
    {%- set targets = ref('stg_crm__patch_job_targets') -%}
    {{ created_at }} >= (
                select cast({{ dbt.dateadd('day', -2, "cast(min(month) || '-01' as date)") }} as timestamp with time zone)
                from {{ targets }} where job_id = {{ job_id() }}
            )
            and {{ created_at }} < (
                select cast({{ dbt.dateadd('day', 33, "cast(max(month) || '-01' as date)") }} as timestamp with time zone)
                from {{ targets }} where job_id = {{ job_id() }}
            )
{%- endmacro %}
