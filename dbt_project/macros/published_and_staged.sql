{# An entity's rows as publishing the job would leave them: the tenant's live rows
   plus the job's staged rows, flagged with is_staged. Job and tenant come from --vars. #}
{% macro published_and_staged(entity) %}
    with published as (
        select * from {{ ref('stg_crm__' ~ entity) }}
        where tenant_id = '{{ var("tenant_id") }}'
    ),

    staged as (
        select * from {{ ref('stg_crm__staged_' ~ entity) }}
        where demo_job_id = '{{ var("job_id") }}'
    ),

    final as (
        select published.*, false as is_staged from published
        union all
        select staged.*, true as is_staged from staged
    )

    select * from final
{% endmacro %}
