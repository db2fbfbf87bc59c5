{# The select list of an entity's staging model, shared by the CRM table's model and
   its draft twin's (draft_<entity>), so both speak the same column names. The columns
   come from the table itself (declared once, in generators/frames.py): each passes
   through under its own name unless the entity's renames below say otherwise. #}
{% macro stg_crm_columns(entity, relation) -%}
    {%- set renames = stg_crm_renames(entity) -%}
    {#- Parsing only needs the model's references; the columns are read when it compiles. -#}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {%- if execute and not columns -%}
        {{ exceptions.raise_compiler_error("no columns found in " ~ relation) }}
    {%- endif -%}
    {%- set items = [] -%}
    {%- for column in columns -%}
        {%- do items.extend(renames.get(column.name, [column.name])) -%}
    {%- endfor -%}
    {{ items | join(',\n        ') }}
{%- endmacro %}

{# What a column becomes in the staging layer: renamed to <object>_id and friends,
   and followed by the flags derived from it. #}
{% macro stg_crm_renames(entity) -%}
    {%- set renames = {
        'deleted_at': ['deleted_at', 'deleted_at is not null as is_deleted'],
        'demo_generated': ['demo_generated as is_demo_generated'],
    } -%}
    {%- set per_entity = {
        'companies': {
            'id': ['id as company_id'],
            'name': ['name as company_name'],
            'size': ['size as employee_band'],
        },
        'contacts': {
            'id': ['id as contact_id'],
            'status': ['status', "status = 'lead' as is_lead"],
            'source': ['source as lead_source'],
        },
        'deals': {
            'id': ['id as deal_id'],
            'name': ['name as deal_name'],
            'value': ['cast(value as ' ~ type_money() ~ ') as deal_value'],
        },
        'activities': {
            'id': ['id as activity_id'],
            'type': ['type as activity_type'],
        },
    } -%}
    {%- do renames.update(per_entity[entity]) -%}
    {{ return(renames) }}
{%- endmacro %}
