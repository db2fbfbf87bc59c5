"""RECONCILE's changes: which demo-generated rows to soft-delete or edit so each month lands on its targets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import polars as pl

from flows.kpis.numbers import CENT, Number, format_number
from flows.kpis.reads import MonthKpis
from flows.plan.rules import Issue
from flows.store.base import Store
from flows.store.tenants import Tenant
from generators.calendar import month_bounds, month_of
from generators.frames import COLUMNS, ENTITIES, SCHEMAS, EntityFrames, conform
from generators.story import LOST_LEVEL, SUBJECT_STEPS

Row = dict[str, Any]
REFUSED = "V-6"


@dataclass
class Changes:
    """New versions of existing demo rows (drafted under their own ids), and what each one is."""

    rows: dict[str, dict[str, Row]] = field(default_factory=lambda: {e: {} for e in ENTITIES})
    deleted: dict[str, set[str]] = field(default_factory=lambda: {e: set() for e in ENTITIES})

    def modified_ids(self, entity: str) -> list[str]:
        return sorted(set(self.rows[entity]) - self.deleted[entity])

    def deleted_ids(self, entity: str) -> list[str]:
        return sorted(self.deleted[entity])

    def left_out(self) -> dict[str, set[str]]:
        """Existing rows that new records of the same job must not attach to: every row these changes edit or
        soft-delete, and the contacts of the deals they change (an activity on a contact follows its latest deal)."""
        left = {e: set(self.rows[e]) for e in ENTITIES}
        left["contacts"] |= {str(r["contact_id"]) for r in self.rows["deals"].values() if r.get("contact_id")}
        return left

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "modified": {e: len(self.modified_ids(e)) for e in ENTITIES},
            "deleted": {e: len(self.deleted[e]) for e in ENTITIES},
        }

    def by_month(self, timezone: str) -> dict[str, dict[str, dict[str, int]]]:
        """Rows modified and soft-deleted per month of their creation and entity, for the job's report."""
        months: dict[str, dict[str, dict[str, int]]] = {}
        for entity in ENTITIES:
            for row_id, row in self.rows[entity].items():
                month = month_of(row["created_at"], timezone)
                counts = months.setdefault(month, {"modified": {}, "deleted": {}})
                what = counts["deleted" if row_id in self.deleted[entity] else "modified"]
                what[entity] = what.get(entity, 0) + 1
        return dict(sorted(months.items()))

    def frames(self) -> EntityFrames:
        return EntityFrames(
            **{
                e: conform(e, pl.DataFrame(list(self.rows[e].values()), schema=SCHEMAS[e]))
                if self.rows[e]
                else conform(e, pl.DataFrame(schema=SCHEMAS[e]))
                for e in ENTITIES
            }
        )


class _Refused(Exception):
    """A metric the month's demo-generated rows cannot move far enough: `floor` is what the existing rows keep
    at least (`raising`: no deal is left to carry more value), before the new records of the month add theirs."""

    def __init__(self, metric: str, floor: Number, month: str, *, raising: bool = False) -> None:
        self.metric, self.floor, self.month, self.raising = metric, floor, month, raising

    def issue(self, created: Mapping[str, Number | None]) -> Issue:
        added = created.get(self.metric) or 0
        if self.raising:
            message = (
                f"Cannot raise {self.metric} in {self.month}: no demo-generated deal of the month is left to carry "
                "the value"
            )
        else:
            floor = format_number(self.floor + added)
            message = (
                f"Cannot reduce {self.metric} below {floor} in {self.month}: only demo-generated records can change"
            )
        return Issue(REFUSED, message, self.month, self.metric)


def _columns(table: str, names: Collection[str] | None = None) -> str:
    """The table's columns (or those named) for a SELECT, its ids read as text.

    Both drivers return a UUID as a uuid.UUID object, which the rows would then turn into text: on
    the months of a million-record tenant, making those objects was a third of choosing the changes.
    """
    return ", ".join(
        f"CAST({c.name} AS VARCHAR) AS {c.name}" if c.sql == "UUID" else c.name
        for c in COLUMNS[table]
        if names is None or c.name in names
    )


def plan_changes(
    store: Store,
    tenant: Tenant,
    changed: Mapping[str, Mapping[str, Number | None]],
    before: Mapping[str, MonthKpis],
    *,
    job_id: str,
    at: datetime,
    created: Mapping[str, Mapping[str, Number | None]] | None = None,
) -> tuple[Changes, list[Issue]]:
    """The least disruptive soft-deletions and edits of demo rows that move each month by its `changed` deltas.

    `changed` holds, per month, what the changes must add to each metric (None = no target):
    all of a lowered month's deltas, or the lowered part of a month that also creates records
    (`created`: what those add, so that refusals quote the month's totals; flows/plan/mixed.py).
    Only rows that exist now change: new records come on top.

    Deals first (deleted, or won turned lost, then values edited to the cent, down or up), then
    leads and contacts, then companies, then activities (a deleted contact's go with it while
    their month needs fewer; so do a deleted deal's that name a step of its story, the others
    stay, detached from it). Returns the changes, or the issues that make the plan impossible
    without touching records not generated by demogen.
    """
    plan = _Planner(store, tenant, changed, before, job_id, at)
    issues: list[Issue] = []
    months = sorted(changed)
    created = created or {}
    for step in (plan.deals, plan.contacts, plan.companies):
        for month in months:
            try:
                step(month, changed[month])
            except _Refused as refused:
                issues.append(refused.issue(created.get(month, {})))
    if not issues:
        for month in months:
            try:
                plan.activities(month, changed[month])
            except _Refused as refused:
                issues.append(refused.issue(created.get(month, {})))
    return plan.changes, issues


class _Planner:
    def __init__(
        self,
        store: Store,
        tenant: Tenant,
        deltas: Mapping[str, Mapping[str, Number | None]],
        before: Mapping[str, MonthKpis],
        job_id: str,
        at: datetime,
    ) -> None:
        self.store, self.tenant, self.deltas, self.before = store, tenant, deltas, before
        self.job_id, self.at = job_id, at
        self.changes = Changes()
        stages = store.query("SELECT id, is_won, is_lost FROM pipeline_stages WHERE tenant_id = ?", (tenant.id,))
        self.won = {str(s["id"]) for s in stages if s["is_won"]}
        self.lost = {str(s["id"]) for s in stages if s["is_lost"]}
        lost = sorted(self.lost)
        self.lost_stage = lost[0] if lost else None
        self.cascaded: dict[str, int] = defaultdict(int)

    # --- reading -----------------------------------------------------------------------------

    def _rows(self, entity: str, month: str) -> list[Row]:
        """The month's live rows of the entity, most recent first."""
        start, end = month_bounds(month, self.tenant.timezone)
        return self.store.query(
            f"SELECT {_columns(entity)} FROM {entity} WHERE tenant_id = ? AND deleted_at IS NULL AND created_at >= ? "
            f"AND created_at < ? ORDER BY {entity}.created_at DESC, {entity}.id DESC",  # the uuid, not its text
            (self.tenant.id, start, end),
        )

    def _children(self, table: str, column: str, ids: list[str]) -> dict[str, list[Row]]:
        """Live rows of `table` whose `column` is one of ids, by that id (rows this job deletes left out):
        their id, provenance and creation time (`_whole` reads all the columns of those that change)."""
        if not ids:
            return {}
        subject = {"subject"} if table == "activities" else set()  # which step of a deal's story it tells
        rows = self.store.query(
            f"SELECT {_columns(table, {'id', 'demo_generated', 'created_at', column} | subject)} FROM {table} "
            f"WHERE tenant_id = ? AND deleted_at IS NULL AND {column} IN (SELECT unnest(?::UUID[]))",
            (self.tenant.id, ids),
        )
        found: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            if r["id"] not in self.changes.deleted[table]:
                found[r[column]].append(r)
        return found

    def _activities_of(self, column: str, ids: list[str]) -> dict[str, list[Row]]:
        return self._children("activities", column, ids)

    def _whole(self, table: str, ids: list[str]) -> dict[str, Row]:
        """Every column of the rows with these ids, by id: in one query, however many there are."""
        if not ids:
            return {}
        rows = self.store.query(
            f"SELECT {_columns(table)} FROM {table} WHERE tenant_id = ? AND id IN (SELECT unnest(?::UUID[]))",
            (self.tenant.id, ids),
        )
        return {r["id"]: r for r in rows}

    # --- writing -----------------------------------------------------------------------------

    def _change(self, entity: str, row: Row, **values: Any) -> Row:
        current = self.changes.rows[entity].get(row["id"], dict(row))
        current.update(values, updated_at=self.at, demo_job_id=self.job_id)
        self.changes.rows[entity][row["id"]] = current
        return current

    def _delete(self, entity: str, row: Row) -> None:
        self._change(entity, row, deleted_at=self.at)
        self.changes.deleted[entity].add(row["id"])

    # --- deals -------------------------------------------------------------------------------

    def _kind(self, deal: Row) -> str:
        return "won" if deal["stage_id"] in self.won else "lost" if deal["stage_id"] in self.lost else "open"

    def deals(self, month: str, d: Mapping[str, Number | None]) -> None:
        rows = self._rows("deals", month)
        activities = self._activities_of("deal_id", [r["id"] for r in rows if r["demo_generated"]])
        # A deal with a hand-made activity stays: deleting it would change that activity.
        demo = [
            r for r in rows if r["demo_generated"] and all(a["demo_generated"] for a in activities.get(r["id"], []))
        ]
        demo_ids = {r["id"] for r in demo}
        fixed = [r for r in rows if r["id"] not in demo_ids]
        by_kind: dict[str, list[Row]] = {"won": [], "open": [], "lost": []}
        # Deals without activities first, then the most recent: the least that goes with them.
        for r in sorted(demo, key=lambda r: bool(activities.get(r["id"]))):
            by_kind[self._kind(r)].append(r)
        fewer_deals = -int(d.get("dealsCreated") or 0) if (d.get("dealsCreated") or 0) < 0 else 0
        fewer_won = -int(d.get("closedWonCount") or 0) if (d.get("closedWonCount") or 0) < 0 else 0
        gone_won = min(fewer_won, fewer_deals)
        gone_other = fewer_deals - gone_won
        if gone_won > len(by_kind["won"]):
            raise _Refused("closedWonCount", sum(self._kind(r) == "won" for r in fixed), month)
        # A falling pipeline loses open deals first, but for the last one, which may have to carry
        # what stays open of it.
        open_ = by_kind["open"]
        falling = open_[:-1] + by_kind["lost"] + open_[-1:]
        others = falling if d.get("pipelineAddedValue") is not None else by_kind["lost"]
        first = {r["id"] for r in others}
        others = others + [r for r in by_kind["open"] + by_kind["lost"] if r["id"] not in first]
        if gone_other > len(others):
            raise _Refused("dealsCreated", len(fixed), month)
        gone = by_kind["won"][:gone_won] + others[:gone_other]
        detached = self._whole("activities", [a["id"] for r in gone for a in activities.get(r["id"], [])])
        for r in gone:
            self._delete("deals", r)
            for a in activities.get(r["id"], []):
                if a["subject"] in SUBJECT_STEPS and self._may_delete_activity(a):
                    self._cascade(detached[a["id"]])  # a step of the deal's story means nothing without it
                else:  # the activity stays in its contact's history
                    self._change("activities", detached[a["id"]], deal_id=None)
        won_left = by_kind["won"][gone_won:]
        to_lose = fewer_won - gone_won
        if to_lose:
            if to_lose > len(won_left) or self.lost_stage is None:
                raise _Refused("closedWonCount", sum(self._kind(r) == "won" for r in fixed), month)

            # The last in line for deletion (with activities, the oldest), but a deal whose
            # story got further than a lost deal's may (a contract sent) only when it must.
            def got_further(r: Row) -> bool:
                return any(SUBJECT_STEPS.get(a["subject"], 0) > LOST_LEVEL for a in activities.get(r["id"], []))

            order = sorted(range(len(won_left)), key=lambda i: (not got_further(won_left[i]), i))
            lose = set(order[-to_lose:])
            for i in sorted(lose):
                self._change("deals", won_left[i], stage_id=self.lost_stage)
            won_left = [r for i, r in enumerate(won_left) if i not in lose]
        open_left = [r for r in by_kind["open"] if r["id"] not in self.changes.deleted["deals"]]
        won_fixed = sum((Decimal(r["value"]) for r in fixed if self._kind(r) == "won"), Decimal(0))
        pipeline_fixed = sum((Decimal(r["value"]) for r in fixed if self._kind(r) != "lost"), Decimal(0))
        current = self._current_month_kpis(month)
        won_value = d.get("closedWonValue")
        won_sum = sum((Decimal(self._value(r)) for r in won_left), Decimal(0))
        if won_value is not None:
            goal = Decimal(str(current["closedWonValue"])) + Decimal(str(won_value)) - won_fixed
            self._spread(won_left, goal, "closedWonValue", won_fixed, month)
            won_sum = goal
        pipeline = d.get("pipelineAddedValue")
        if pipeline is not None:
            goal = Decimal(str(current["pipelineAddedValue"])) + Decimal(str(pipeline)) - pipeline_fixed - won_sum
            self._spread(open_left, goal, "pipelineAddedValue", pipeline_fixed + won_sum, month)

    def _value(self, deal: Row) -> Decimal:
        return Decimal(str(self.changes.rows["deals"].get(deal["id"], deal)["value"]))

    def _spread(self, deals: list[Row], goal: Decimal, metric: str, fixed: Decimal, month: str) -> None:
        """Set the deals' values to sum to `goal`, each in proportion to its value, to the cent."""
        total = sum((self._value(r) for r in deals), Decimal(0))
        if goal == total:
            return
        if goal > total and (not deals or total <= 0):
            raise _Refused(metric, fixed, month, raising=True)
        if not deals or goal < CENT * len(deals) or total <= 0:
            raise _Refused(metric, fixed + CENT * len(deals), month)
        values = [max(CENT, (self._value(r) * goal / total).quantize(CENT, rounding=ROUND_DOWN)) for r in deals]
        rest = goal - sum(values, Decimal(0))
        largest = max(range(len(values)), key=lambda i: values[i])
        values[largest] += rest
        if values[largest] < CENT:
            raise _Refused(metric, fixed + CENT * len(deals), month)
        for r, v in zip(deals, values, strict=True):
            if v != self._value(r):
                self._change("deals", r, value=v)

    def _current_month_kpis(self, month: str) -> dict[str, Number]:
        return dict(self.before.get(month) or {})

    # --- contacts, companies -----------------------------------------------------------------

    def contacts(self, month: str, d: Mapping[str, Number | None]) -> None:
        rows = self._rows("contacts", month)
        demo = [r for r in rows if r["demo_generated"]]
        ids = [r["id"] for r in demo]
        deals = self._children("deals", "contact_id", ids)
        activities = self._activities_of("contact_id", ids)
        free = [
            r for r in demo if not deals.get(r["id"]) and all(a["demo_generated"] for a in activities.get(r["id"], []))
        ]
        free.sort(key=lambda r: len(activities.get(r["id"], [])))
        for metric, lead in (("leadsCreated", True), ("contactsCreated", False)):
            delta = d.get(metric)
            if delta is None or delta >= 0:
                continue
            pool = [r for r in free if (r["status"] == "lead") == lead]
            if -int(delta) > len(pool):
                kept = sum((r["status"] == "lead") == lead for r in rows) - len(pool)
                raise _Refused(metric, kept, month)
            for r in pool[: -int(delta)]:
                self._delete("contacts", r)
        heir = min(
            (r for r in rows if r["id"] not in self.changes.deleted["contacts"]),
            key=lambda r: r["created_at"],  # older than every contact of the month: after it, any of their activities
            default=None,
        )
        gone = [r for r in demo if r["id"] in self.changes.deleted["contacts"]]
        orphans = self._whole("activities", [a["id"] for r in gone for a in activities.get(r["id"], [])])
        for r in gone:
            for a in activities.get(r["id"], []):
                if self._may_delete_activity(a) or heir is None:
                    self._cascade(orphans[a["id"]])
                else:  # the month's activity target is met already: the activity moves to the oldest contact
                    self._change("activities", orphans[a["id"]], contact_id=heir["id"])

    def _may_delete_activity(self, activity: Row) -> bool:
        """Whether the month of the activity may lose it: a month of the plan that leaves activities free,
        or one short of its reduction still. A month outside the plan keeps its KPIs."""
        month = month_of(activity["created_at"], self.tenant.timezone)
        if month not in self.deltas:
            return False
        if self.deltas[month].get("activitiesCount") is None:
            return True
        wanted = -int(self.deltas[month]["activitiesCount"] or 0)
        return self.cascaded[month] < wanted

    def companies(self, month: str, d: Mapping[str, Number | None]) -> None:
        """Soft-delete the month's demo companies with the fewest dependents; their contacts, deals and
        activities (demo-generated ones only) move to the month's oldest remaining company first."""
        delta = d.get("companiesCreated")
        if delta is None or delta >= 0:
            return
        rows = self._rows("companies", month)
        ids = [r["id"] for r in rows if r["demo_generated"]]
        dependents = {t: self._children(t, "company_id", ids) for t in ("contacts", "deals", "activities")}

        def load(company: Row) -> list[tuple[str, Row]]:
            return [(t, r) for t in dependents for r in dependents[t].get(company["id"], [])]

        movable = [r for r in rows if r["demo_generated"] and all(c["demo_generated"] for _, c in load(r))]
        movable.sort(key=lambda r: len(load(r)))  # stable: the most recent first among equals
        need = -int(delta)
        chosen = movable[:need]
        gone = {r["id"] for r in chosen}
        kept = [r for r in rows if r["id"] not in gone]
        heir = min(kept, key=lambda r: r["created_at"], default=None)  # before every company of the month
        if need > len(movable) or (heir is None and any(load(r) for r in chosen)):
            raise _Refused("companiesCreated", len(rows) - len(movable), month)
        moving = {
            t: self._whole(t, [r["id"] for c in chosen for r in dependents[t].get(c["id"], [])]) for t in dependents
        }
        for company in chosen:
            for table, row in load(company):
                if heir is not None:  # always, when there is anything to move (checked above)
                    self._change(table, moving[table][row["id"]], company_id=heir["id"])
            self._delete("companies", company)

    # --- activities --------------------------------------------------------------------------

    def _cascade(self, row: Row) -> None:
        """Soft-delete an activity of a deleted contact (`row`: all its columns), counted against its month."""
        if row["id"] in self.changes.deleted["activities"]:
            return
        self._delete("activities", row)
        self.cascaded[month_of(row["created_at"], self.tenant.timezone)] += 1

    def activities(self, month: str, d: Mapping[str, Number | None]) -> None:
        delta = d.get("activitiesCount")
        if delta is None:
            return
        more = -int(delta) - self.cascaded[month]
        rows = [r for r in self._rows("activities", month) if r["id"] not in self.changes.deleted["activities"]]
        if more < 0:  # the activities of deleted contacts and deals took more than the plan asks
            raise _Refused("activitiesCount", len(rows), month)
        free = [r for r in rows if r["demo_generated"]]
        if more > len(free):
            raise _Refused("activitiesCount", len(rows) - len(free), month)
        for r in free[:more]:
            self._delete("activities", r)
