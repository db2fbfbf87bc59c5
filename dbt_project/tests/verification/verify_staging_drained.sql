-- after publishing, nothing of the job is left in staging
select 'companies' as entity, company_id as record_id from {{ ref('stg_crm__staged_companies') }}
where demo_job_id = '{{ var("job_id") }}'
union all
select 'contacts', contact_id from {{ ref('stg_crm__staged_contacts') }} where demo_job_id = '{{ var("job_id") }}'
union all
select 'deals', deal_id from {{ ref('stg_crm__staged_deals') }} where demo_job_id = '{{ var("job_id") }}'
union all
select 'activities', activity_id from {{ ref('stg_crm__staged_activities') }} where demo_job_id = '{{ var("job_id") }}'
