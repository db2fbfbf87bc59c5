{# The sales story (generators/story.py, given as the var `story`): which step an activity's
   subject mentions, and how far a deal in each stage may have got. #}

{# The step (1 discovery … 5 contract) the subject mentions, or null for one that mentions none. #}
{% macro activity_step(subject) -%}
    case {{ subject }}
    {%- for text, step in var('story')['subject_steps'].items() %}
        when '{{ text | replace("'", "''") }}' then {{ step }}
    {%- endfor %}
    end
{%- endmacro %}

{# Per stage of `stages` (stage_id, tenant_id, position, is_won, is_lost), restricted to
   `where` when given: its level, the last step a deal in it may have reached. The last open
   stage is negotiation, each open stage before it a step less (never below 1). #}
{% macro stage_levels(stages, where=none) -%}
    {%- set story = var('story') -%}
    select
        stage_id,
        tenant_id,
        case
            when is_won then {{ story['won_level'] }}
            when is_lost then {{ story['lost_level'] }}
            else greatest(1, {{ story['last_open_level'] }} - (
                count(*) over (partition by tenant_id, is_won or is_lost)
                - row_number() over (partition by tenant_id, is_won or is_lost order by position, stage_id)
            ))
        end as stage_level
    from {{ stages }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
{%- endmacro %}
