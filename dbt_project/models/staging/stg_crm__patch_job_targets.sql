-- What each targeted KPI of a patch job must read once the job is published, with its
-- absolute tolerance; written by demogen before the job's audit.
with source as (
    select * from {{ source('crm', 'demo_patch_job_targets') }}
),

final as (
    select
        job_id,
        month,
        metric,
        cast(expected as {{ type_money() }}) as expected,
        cast(tolerance as {{ type_money() }}) as tolerance
    from source
)

select * from final
