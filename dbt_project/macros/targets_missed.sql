{# Rows for every (month, metric) target of var('targets') that the tenant's KPIs
   in `kpis` miss by more than its tolerance. Targets reach here through --vars:
   [{"month": "2025-01", "metric": "leads_created", "expected": 50, "tolerance": 0}];
   a target's metric is a KPI column (the metric registry's `column`), and only the
   targeted columns are read. #}
{% macro targets_missed(kpis) %}
    {%- set targets = var('targets') -%}
    {%- set metrics = targets | map(attribute='metric') | unique | list -%}
    with kpis as (
        select * from {{ kpis }}
        where tenant_id = '{{ var("tenant_id") }}'
    ),

    actual as (
        {%- for column in metrics %}
        select month, '{{ column }}' as metric, cast({{ column }} as {{ type_money() }}) as actual from kpis
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
        {%- if not metrics %}
        select
            cast(null as {{ dbt.type_string() }}) as month,
            cast(null as {{ dbt.type_string() }}) as metric,
            cast(null as {{ type_money() }}) as actual
        where 1 = 0
        {%- endif %}
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
