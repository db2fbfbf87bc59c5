{# The job's draft rows of an entity, as a subquery. #}
{% macro job_drafts(entity) -%}
    (select * from {{ ref('stg_crm__draft_' ~ entity) }} where demo_job_id = {{ job_id() }})
{%- endmacro %}

{# Left-join the rows of `entity` a draft may point at, live or drafted by the job, as
   `alias` (live) and `alias`_draft: each join is an index probe by id, whatever the size of
   the tenant. Read the parent's columns with coalesce(alias.x, alias_draft.x). A soft-deleted
   row is no parent: a draft pointing at one dangles. #}
{% macro join_parent(entity, id_column, child, foreign_key, alias) -%}
    left join {{ ref('stg_crm__' ~ entity) }} as {{ alias }}
        on {{ child }}.{{ foreign_key }} = {{ alias }}.{{ id_column }} and {{ child }}.tenant_id = {{ alias }}.tenant_id
        and not {{ alias }}.is_deleted
    left join {{ job_drafts(entity) }} as {{ alias }}_draft
        on {{ child }}.{{ foreign_key }} = {{ alias }}_draft.{{ id_column }}
        and {{ child }}.tenant_id = {{ alias }}_draft.tenant_id
{%- endmacro %}
