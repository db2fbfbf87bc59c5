{# 'YYYY-MM' of a date: the month key plans and reports use. #}
{% macro month_label(date_expr) -%}
    {{ return(adapter.dispatch('month_label', 'demogen')(date_expr)) }}
{%- endmacro %}

{% macro default__month_label(date_expr) -%}
    to_char({{ date_expr }}, 'YYYY-MM')
{%- endmacro %}

{% macro duckdb__month_label(date_expr) -%}
    strftime({{ date_expr }}, '%Y-%m')
{%- endmacro %}
