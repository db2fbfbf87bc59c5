{# The first day of the calendar month an instant falls in, in the tenant's timezone. #}
{% macro local_month(instant, timezone) -%}
    cast({{ dbt.date_trunc('month', instant ~ ' at time zone ' ~ timezone) }} as date)
{%- endmacro %}
