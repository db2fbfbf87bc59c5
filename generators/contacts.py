"""New contacts and leads: locale names, titles and phones, an email at their company's domain."""

from __future__ import annotations

import polars as pl

from generators.allocation import MonthAllocation
from generators.companies import existing_companies
from generators.placement import pick_parents
from generators.scope import Scope
from generators.text import make_unique, taken_among
from generators.vocab import CONTACT_SOURCES, CONTACT_STATUS_SHARES, LEAD_SOURCES

NEW_COMPANY_PULL = 3.0  # a company created this month attracts this many times more contacts

# Share of companies per email convention, by the last byte of the company id (0-255):
# first.last 50%, flast 20%, f.last 15%, first_last 10%, firstlast 5%.
_EMAIL_STYLE_BOUNDS = (128, 179, 217, 243)
TWO_DIGITS = pl.Series("digits", [f"{i:02d}" for i in range(100)])  # a phone's two-digit slots, "00" to "99"


def company_parents(scope: Scope, companies: pl.DataFrame) -> pl.DataFrame:
    """Companies a record of this month may belong to: existing and new, with a domain."""
    existing = existing_companies(scope).with_columns(
        size_weight=pl.lit(1.0), deal_factor=pl.lit(1.0), is_new=pl.lit(False)
    )
    new = companies.select("id", "domain", "label", "created_s", "size_weight", "deal_factor", is_new=pl.lit(True))
    parents = pl.concat([existing, new], how="vertical_relaxed").filter(
        pl.col("domain").is_not_null() & pl.col("id").is_not_null()
    )
    parents = parents.with_columns(lower_s=pl.col("created_s"), email_style=_email_style())
    return parents.filter(scope.window.can_follow(parents["lower_s"]))


def _email_style() -> pl.Expr:
    """A company's email convention, 0-255, from the last byte of its id."""
    return pl.col("id").str.slice(-2).str.to_integer(base=16, strict=False).fill_null(0)


def _email_local() -> pl.Expr:
    """The company's convention applied to the contact's ASCII names (one concat per row)."""
    style = pl.col("email_style")
    a, b, c, d = _EMAIL_STYLE_BOUNDS
    initial = (style >= a) & (style < c)  # flast, f.last
    dot = (style < a) | ((style >= b) & (style < c))  # first.last, f.last
    separator = pl.when(dot).then(pl.lit(".")).when((style >= c) & (style < d)).then(pl.lit("_"))
    return pl.concat_str(
        pl.when(initial).then(pl.col("first_ascii").str.slice(0, 1)).otherwise("first_ascii"),
        separator.otherwise(pl.lit("")),
        pl.col("last_ascii"),
    )


def _place(scope: Scope, parents: pl.DataFrame, n: int) -> tuple[pl.Series, pl.Series]:
    """Company row and creation second per contact: each new company first gets one contact
    (stamped after it), the others go by weight to companies that existed at their instant."""
    rng = scope.rng.child("contacts")
    fresh = parents.with_row_index("row").filter(pl.col("is_new"))["row"].cast(pl.Int64)
    first = min(len(fresh), n)
    seeded = fresh.gather(rng.ranks("fresh", len(fresh)).head(first))
    seeded_at = scope.stamps("contacts.seeded", parents["lower_s"].gather(seeded))
    pull = 1.0 + (NEW_COMPANY_PULL - 1.0) * parents["is_new"].cast(pl.Float64)
    weights = parents["size_weight"].cast(pl.Float64) * pull
    rest, rest_at = pick_parents(scope, "contacts.company", parents, weights, n - first)
    return pl.concat([seeded, rest]), pl.concat([seeded_at, rest_at])


def build_contacts(scope: Scope, alloc: MonthAllocation, companies: pl.DataFrame) -> pl.DataFrame:
    """alloc.leads leads and alloc.non_lead_contacts other contacts, with ids in creation order."""
    n = alloc.leads + alloc.non_lead_contacts
    parents = company_parents(scope, companies)
    if parents.is_empty() and n:
        metric = "contactsCreated" if alloc.non_lead_contacts else "leadsCreated"
        count = alloc.non_lead_contacts or alloc.leads
        raise scope.fail(
            f"{metric} ({count}) needs a company, but none exists before the month and companiesCreated is 0"
        )
    rng = scope.rng.child("contacts")
    pools = scope.pools
    rows, created = _place(scope, parents, n)
    parent = parents.gather(rows)
    first = pools.first_names.gather(rng.pick("first", n, pools.first_names["weight"]))
    last = pools.last_names.gather(rng.pick("last", n, pools.last_names["weight"]))
    phone = pools.phones.gather(rng.integers("phone", n, pools.phones.height))
    is_lead = rng.chosen("lead", n, alloc.leads)
    lead_source = pl.Series([s for s, _ in LEAD_SOURCES]).gather(
        rng.pick("lead_source", n, [w for _, w in LEAD_SOURCES])
    )
    contact_source = pl.Series([s for s, _ in CONTACT_SOURCES]).gather(
        rng.pick("source", n, [w for _, w in CONTACT_SOURCES])
    )
    status = pl.Series([s for s, _ in CONTACT_STATUS_SHARES]).gather(
        rng.pick("status", n, [w for _, w in CONTACT_STATUS_SHARES])
    )
    frame = pl.DataFrame(
        {
            "company_id": parent["id"],
            "domain": parent["domain"],
            "email_style": parent["email_style"],
            "label": parent["label"],
            "deal_factor": parent["deal_factor"],
            "first_name": first["display"],
            "last_name": last["display"],
            "first_ascii": first["ascii"],
            "last_ascii": last["ascii"],
            "phone_head": phone["head"],
            "phone_pair": phone["pair"],
            "phone_mid": phone["mid"],
            "phone_tail": phone["tail"],
            "pair1": TWO_DIGITS.gather(rng.integers("phone1", n, 100)),
            "pair2": TWO_DIGITS.gather(rng.integers("phone2", n, 100)),
            "job_title": pools.job_titles.gather(rng.integers("title", n, len(pools.job_titles))),
            "is_lead": is_lead,
            "status": pl.repeat("lead", n, dtype=pl.String, eager=True).zip_with(is_lead, status),
            "source": lead_source.zip_with(is_lead, contact_source),
            "owner_id": scope.owners("contacts", n),
            "created_s": created,
        }
    )
    local = _email_local()
    taken = taken_among(scope.ctx.contacts["email"], scope.ctx.emails_taken)
    email = make_unique(
        frame.select("domain", local=local),
        [pl.concat_str(pl.col("local"), pl.lit("@"), pl.col("domain"))],
        pl.concat_str(pl.col("local"), pl.lit("{n}@"), pl.col("domain")),
        taken,
    )
    frame = frame.with_columns(
        email=email,
        phone=pl.concat_str(
            pl.col("phone_head"),
            pl.when(pl.col("phone_pair")).then(pl.col("pair1")).otherwise(pl.lit("")),
            pl.col("phone_mid"),
            pl.col("pair2"),
            pl.col("phone_tail"),
        ),
    )
    return scope.with_ids("contacts", frame).select(
        "id",
        "company_id",
        "owner_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "status",
        "source",
        "created_s",
        "label",
        "deal_factor",
        "is_lead",
    )
