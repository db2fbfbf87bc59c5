-- after publishing, none of the job's drafts are left
select 'companies' as entity, company_id as record_id from {{ ref('stg_crm__draft_companies') }}
where demo_job_id = {{ job_id() }}
union all
select 'contacts', contact_id from {{ ref('stg_crm__draft_contacts') }} where demo_job_id = {{ job_id() }}
union all
select 'deals', deal_id from {{ ref('stg_crm__draft_deals') }} where demo_job_id = {{ job_id() }}
union all
select 'activities', activity_id from {{ ref('stg_crm__draft_activities') }} where demo_job_id = {{ job_id() }}
