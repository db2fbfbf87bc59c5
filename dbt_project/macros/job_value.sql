{# A value of the job under audit or verification, cast to `type`.

   By hand, `dbt test --select tag:audit --vars '{job_id: ..., tenant_id: ..., as_of: ...}'`
   renders the --vars value into the SQL. demogen compiles the tests once without these vars
   and sets the values on its own connection before it runs them (flows/store/dbt_runner.py):
   PostgreSQL reads them from custom settings (demogen.job_id), DuckDB from variables
   (demogen_job_id). Unset, a value is null and the tests audit nothing. #}
{% macro job_value(name, type) -%}
    {%- if var(name, none) is not none -%}
        cast('{{ var(name) }}' as {{ type }})
    {%- else -%}
        {{ adapter.dispatch('session_value', 'demogen')(name, type) }}
    {%- endif -%}
{%- endmacro %}

{# On PostgreSQL a scalar subquery, read and cast once per query: as a plain expression the
   setting was read and parsed again for every row a scan or join filter met (a timestamp
   parsed twice per draft in audit_timestamps). #}
{% macro default__session_value(name, type) -%}
    (select cast(nullif(current_setting('demogen.{{ name }}', true), '') as {{ type }}))
{%- endmacro %}

{% macro duckdb__session_value(name, type) -%}
    cast(getvariable('demogen_{{ name }}') as {{ type }})
{%- endmacro %}

{# The job's id, its tenant's id and its as-of instant. #}
{% macro job_id() -%}{{ job_value('job_id', 'uuid') }}{%- endmacro %}
{% macro job_tenant_id() -%}{{ job_value('tenant_id', 'uuid') }}{%- endmacro %}
{% macro job_as_of() -%}{{ job_value('as_of', 'timestamp with time zone') }}{%- endmacro %}
