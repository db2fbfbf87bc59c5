-- a draft activity tied to a deal mentions no later step of the sales story than the deal's
-- stage reached (the deal live or drafted by the job)
with levels as (
    {{ stage_levels(ref('stg_crm__pipeline_stages'), 'tenant_id = ' ~ job_tenant_id()) }}
),

linked as (
    select
        a.activity_id,
        a.subject,
        {{ activity_step('a.subject') }} as step,
        coalesce(p.stage_id, p_draft.stage_id) as stage_id
    from {{ job_drafts('activities') }} as a
    {{ join_parent('deals', 'deal_id', 'a', 'deal_id', 'p') }}
    where a.deal_id is not null
)

select linked.activity_id, linked.subject, linked.step, levels.stage_level
from linked
inner join levels on linked.stage_id = levels.stage_id
where linked.step > levels.stage_level
