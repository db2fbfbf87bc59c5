{# Rows for every (month, metric) target of var('targets') that the tenant's KPIs
   in `kpis` miss by more than its tolerance. Targets reach here through --vars:
   [{"month": "2025-01", "metric": "leads_created", "expected": 50, "tolerance": 0}]. #}
{% macro kpi_metric_columns() -%}
    {{ return(['leads_created', 'contacts_created', 'companies_created', 'deals_created',
               'closed_won_count', 'closed_won_value', 'pipeline_added_value', 'activities_count']) }}
{%- endmacro %}

{% macro targets_missed(kpis) %}
    {%- set targets = var('targets') -%}
    with kpis as (
        select * from {{ kpis }}
        where tenant_id = '{{ var("tenant_id") }}'
    ),

    actual as (
        {%- for column in kpi_metric_columns() %}
        select month, '{{ column }}' as metric, cast({{ column }} as {{ type_money() }}) as actual from kpis
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    targets as (
        {%- for t in targets %}
        select
            '{{ t["month"] }}' as month,
            '{{ t["metric"] }}' as metric,
            cast({{ t["expected"] }} as {{ type_money() }}) as expected,
            cast({{ t["tolerance"] }} as {{ type_money() }}) as tolerance
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
        {%- if not targets %}
        select
            cast(null as {{ dbt.type_string() }}) as month,
            cast(null as {{ dbt.type_string() }}) as metric,
            cast(null as {{ type_money() }}) as expected,
            cast(null as {{ type_money() }}) as tolerance
        where 1 = 0
        {%- endif %}
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
