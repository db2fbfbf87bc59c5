{# The renames of an entity table, shared by the CRM table's staging model and
   the staging model of its write–audit–publish twin (staged_<entity>), so both
   speak the same column names. #}

{% macro provenance_columns() -%}
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted,
        demo_generated as is_demo_generated,
        demo_job_id,
        demo_source_month
{%- endmacro %}

{% macro stg_companies_columns() -%}
        id as company_id,
        tenant_id,
        owner_id,
        name as company_name,
        domain,
        industry,
        size as employee_band,
        city,
        country,
        {{ provenance_columns() }}
{%- endmacro %}

{% macro stg_contacts_columns() -%}
        id as contact_id,
        tenant_id,
        company_id,
        owner_id,
        first_name,
        last_name,
        email,
        phone,
        job_title,
        status,
        status = 'lead' as is_lead,
        source as lead_source,
        {{ provenance_columns() }}
{%- endmacro %}

{% macro stg_deals_columns() -%}
        id as deal_id,
        tenant_id,
        contact_id,
        company_id,
        owner_id,
        stage_id,
        name as deal_name,
        cast(value as {{ type_money() }}) as deal_value,
        currency,
        expected_close_date,
        closed_at,
        {{ provenance_columns() }}
{%- endmacro %}

{% macro stg_activities_columns() -%}
        id as activity_id,
        tenant_id,
        contact_id,
        deal_id,
        company_id,
        owner_id,
        type as activity_type,
        subject,
        {{ provenance_columns() }}
{%- endmacro %}
