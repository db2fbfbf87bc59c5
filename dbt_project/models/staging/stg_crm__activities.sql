-- A plain select, without dbt's usual import CTEs: PostgreSQL 15 cannot probe the table's
-- indexes through a view built on CTEs when a query joins to it, and the audit joins every
-- draft to its parent by id.
select
    {{ stg_crm_columns('activities', source('crm', 'activities')) }}
from {{ source('crm', 'activities') }}
