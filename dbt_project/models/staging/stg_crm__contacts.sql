-- A plain select, without dbt's usual import CTEs: PostgreSQL 15 cannot probe the table's
-- indexes through a view built on CTEs when a query joins to it, and the audit joins every
-- draft to its parent by id.
select
    {{ stg_crm_columns('contacts', source('crm', 'contacts')) }}
from {{ source('crm', 'contacts') }}
