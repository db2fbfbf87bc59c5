{# Rows for every (month, metric) target of the job that the tenant's KPIs in `kpis`
   miss by more than its tolerance. The targets are rows of the job's targets table
   (written by demogen before the audit): a target's metric is a KPI column (the metric
   registry's `column`). #}
{% macro targets_missed(kpis) %}
    with targets as (
        select month, metric, expected, tolerance
        from {{ ref('stg_crm__patch_job_targets') }}
        where job_id = {{ job_id() }}
    ),

    kpis as (
        select * from {{ kpis }}
        where tenant_id = {{ job_tenant_id() }}
    ),

    actual as (
        {%- for column in kpi_columns() %}
        select month, '{{ column }}' as metric, cast({{ column }} as {{ type_money() }}) as actual from kpis
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    )

    select
        targets.month,
        targets.metric,
        targets.expected,
        coalesce(actual.actual, 0) as actual,
        targets.tolerance
    from targets
    left join actual
        on targets.month = actual.month and targets.metric = actual.metric
    where abs(coalesce(actual.actual, 0) - targets.expected) > targets.tolerance
{% endmacro %}

{# The eight KPI columns (the metric registry's `column`s), in the registry's order. #}
{% macro kpi_columns() -%}
    {{ return(var('kpi_columns')) }}
{%- endmacro %}
