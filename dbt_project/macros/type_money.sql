{# Money: two decimals on both backends, so sums compare exactly to the cent. #}
{% macro type_money() -%}
    decimal(14, 2)
{%- endmacro %}
