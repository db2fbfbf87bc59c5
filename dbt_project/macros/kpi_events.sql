{# The one definition of what each record adds to each KPI (docs/ARCHITECTURE.md,
   KPI semantics), over any set of entity relations: the live CRM (kpi_events) or
   the live CRM plus a job's drafts (audit_kpi_monthly). Soft-deleted rows never count;
   a record's month is the calendar month of created_at in the tenant's timezone:
   month_start is its first day, month its 'YYYY-MM' label. Readers that aggregate
   group on month_start and label the groups (kpi_monthly): on PostgreSQL a label
   per row (to_char) took about a third of a KPI read. #}
{% macro kpi_events(tenants, stages, companies, contacts, deals, activities) %}
    with events as (
        select
            'companies' as entity,
            company_id as record_id,
            tenant_id,
            created_at,
            0 as leads_created,
            0 as contacts_created,
            1 as companies_created,
            0 as deals_created,
            0 as closed_won_count,
            cast(0 as {{ type_money() }}) as closed_won_value,
            cast(0 as {{ type_money() }}) as pipeline_added_value,
            0 as activities_count
        from {{ companies }}
        where not is_deleted

        union all

        select
            'contacts',
            contact_id,
            tenant_id,
            created_at,
            case when is_lead then 1 else 0 end,
            case when is_lead then 0 else 1 end,
            0,
            0,
            0,
            cast(0 as {{ type_money() }}),
            cast(0 as {{ type_money() }}),
            0
        from {{ contacts }}
        where not is_deleted

        union all

        select
            'deals',
            d.deal_id,
            d.tenant_id,
            d.created_at,
            0,
            0,
            0,
            1,
            case when s.is_won then 1 else 0 end,
            case when s.is_won then d.deal_value else cast(0 as {{ type_money() }}) end,
            case when s.is_lost then cast(0 as {{ type_money() }}) else d.deal_value end,
            0
        from {{ deals }} as d
        inner join {{ stages }} as s on d.stage_id = s.stage_id
        where not d.is_deleted

        union all

        select
            'activities',
            activity_id,
            tenant_id,
            created_at,
            0,
            0,
            0,
            0,
            0,
            cast(0 as {{ type_money() }}),
            cast(0 as {{ type_money() }}),
            1
        from {{ activities }}
        where not is_deleted
    ),

    located as (
        select
            events.*,
            {{ local_month('events.created_at', 't.timezone') }} as month_start
        from events
        inner join {{ tenants }} as t on events.tenant_id = t.tenant_id
    )

    select
        entity,
        record_id,
        tenant_id,
        created_at,
        month_start,
        {{ month_label('month_start') }} as month,
        leads_created,
        contacts_created,
        companies_created,
        deals_created,
        closed_won_count,
        closed_won_value,
        pipeline_added_value,
        activities_count
    from located
{% endmacro %}

{# Sum KPI events per tenant and month: group on the month's first day, label the groups. #}
{% macro kpi_monthly(events) %}
    with monthly as (
        select
            tenant_id,
            month_start,
            sum(leads_created) as leads_created,
            sum(contacts_created) as contacts_created,
            sum(companies_created) as companies_created,
            sum(deals_created) as deals_created,
            sum(closed_won_count) as closed_won_count,
            sum(closed_won_value) as closed_won_value,
            sum(pipeline_added_value) as pipeline_added_value,
            sum(activities_count) as activities_count
        from {{ events }}
        group by tenant_id, month_start
    )

    select
        tenant_id,
        {{ month_label('month_start') }} as month,
        month_start,
        leads_created,
        contacts_created,
        companies_created,
        deals_created,
        closed_won_count,
        closed_won_value,
        pipeline_added_value,
        activities_count
    from monthly
{% endmacro %}
