"""People and companies look real: locale names, titles, phones; consistent companies; unique emails."""

from __future__ import annotations

from importlib import import_module

import polars as pl
import pytest

from generators import generate_month, generate_plan
from generators.pools import locale_pools
from generators.text import ascii_letters
from generators.vocab import INDUSTRIES, INDUSTRY_WORDS, JOB_TITLES, SIZES
from tests.generators.checks import (
    AS_OF,
    JOB,
    assert_all_rules,
    assert_unique_emails,
    existing_tenant,
    make_ctx,
    mean,
)

PEOPLE = {"leadsCreated": 300, "contactsCreated": 300, "companiesCreated": 120}
PHONES = {
    "en_US": r"^(\+1-|001-)?((\(\d{3}\)|\d{3})[-.]?\d{3}[-.]\d{4}|\d{10})$",
    "de_DE": r"^(\+49|0|\(0)[\d ()+-]{6,}\d$",
    "fr_FR": r"^(\+33|0)[\d ()]{8,}\d$",
    "ja_JP": r"^0?\d{1,3}-\d{4}-\d{4}$",
}


def _names(locale: str, attribute: str) -> set[str]:
    provider = import_module(f"faker.providers.person.{locale}").Provider
    return set(dict.fromkeys(getattr(provider, attribute)))


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR"])
def test_people_have_names_titles_and_phones_of_the_locale(locale):
    ctx = make_ctx(locale=locale, timezone="Europe/Paris")
    frames = generate_month("2025-02", PEOPLE, ctx, as_of=AS_OF, job_id=JOB, seed=4)
    contacts = frames.contacts
    assert set(contacts["first_name"]) <= _names(locale, "first_names")
    assert set(contacts["last_name"]) <= _names(locale, "last_names")
    assert contacts["phone"].str.contains(PHONES.get(locale, ".")).all(), contacts["phone"][:5]
    assert contacts["phone"].n_unique() > 0.95 * contacts.height
    language = locale[:2]
    assert set(contacts["job_title"]) <= set(JOB_TITLES[language])
    assert contacts["first_name"].n_unique() > 50 and contacts["last_name"].n_unique() > 50
    assert_all_rules(frames, ctx)


def test_japanese_tenants_get_japanese_names_and_romanised_emails():
    ctx = make_ctx(locale="ja_JP", timezone="Asia/Tokyo")
    frames = generate_month("2025-02", PEOPLE, ctx, as_of=AS_OF, job_id=JOB, seed=4)
    contacts, companies = frames.contacts, frames.companies
    assert not contacts["last_name"].str.contains(r"^[A-Za-z]+$").any()
    assert contacts["email"].str.contains(r"^[a-z0-9._]+@[a-z0-9.-]+$").all()
    assert mean(companies["domain"].str.ends_with(".co.jp")) > 0.5
    assert contacts["phone"].str.contains(PHONES["ja_JP"]).all()
    assert_all_rules(frames, ctx)


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "es_ES"])
def test_company_name_domain_industry_and_size_agree(locale):
    ctx = make_ctx(locale=locale)
    frames = generate_month("2025-02", {"companiesCreated": 400}, ctx, as_of=AS_OF, job_id=JOB, seed=9)
    companies = frames.companies
    words = INDUSTRY_WORDS.get(locale[:2], INDUSTRY_WORDS["en"])
    for name, domain, industry, size in companies.select("name", "domain", "industry", "size").iter_rows():
        assert industry in INDUSTRIES and size in SIZES
        own_words = words[list(INDUSTRIES).index(industry)]
        assert any(word in name for word in own_words), (name, industry)
        stem = domain.split(".")[0].replace("-", "")
        folded = [ascii_letters(part) for part in name.split()]
        assert any(part and stem.startswith(part) for part in folded), (name, domain)
    assert companies["domain"].is_unique().all()
    assert companies["domain"].str.contains(r"^[a-z0-9-]+(\.[a-z]+)+$").all()
    assert companies["country"].n_unique() == 1 and companies["city"].n_unique() > 20


def test_legal_forms_of_large_companies_only_on_large_companies():
    ctx = make_ctx(locale="de_DE")
    frames = generate_month("2025-02", {"companiesCreated": 600}, ctx, as_of=AS_OF, job_id=JOB, seed=2)
    large = frames.companies.filter(pl.col("name").str.ends_with(" AG"))
    small = frames.companies.filter(pl.col("name").str.ends_with(" e.K."))
    assert large.height and small.height
    assert large["size"].is_in(list(SIZES[4:])).all()
    assert not small["size"].is_in(list(SIZES[4:])).any()


def test_sizes_skew_small_and_industries_lean_as_declared():
    ctx = make_ctx()
    frames = generate_month("2025-02", {"companiesCreated": 3000}, ctx, as_of=AS_OF, job_id=JOB, seed=2)
    shares = frames.companies["size"].value_counts(normalize=True)
    share = dict(shares.iter_rows())
    assert share["11-50"] > share["201-500"] > share["5001+"]
    big = frames.companies.with_columns(big=pl.col("size").is_in(list(SIZES[3:])))
    lean = dict(big.group_by("industry").agg(pl.col("big").mean()).iter_rows())
    assert lean["Manufacturing"] > lean["Professional Services"]


def test_emails_stay_unique_against_existing_contacts_at_the_same_domain():
    """Existing contacts hold most first.last addresses of the only company's domain."""
    ctx = existing_tenant(n_companies=1, per_company=1)
    company = "00000000-0000-0000-0000-000000000000"  # last byte 00: first.last convention
    companies = ctx.companies.with_columns(id=pl.lit(company), domain=pl.lit("solo.example"))
    pools = locale_pools(ctx.locale)
    common = pools.first_names.sort("weight", descending=True)["ascii"].unique(maintain_order=True)
    lasts = pools.last_names["ascii"].unique()
    taken = [f"{f}.{last}@solo.example" for f in common[:100] for last in lasts]
    contacts = pl.DataFrame(
        {
            "id": [f"c{i}" for i in range(len(taken))],
            "company_id": company,
            "email": taken,
            "status": "customer",
            "created_at": ctx.contacts["created_at"][0],
        }
    )
    ctx = make_ctx(companies=companies, contacts=contacts)
    frames = generate_month(
        "2025-02", {"contactsCreated": 800, "companiesCreated": 0}, ctx, as_of=AS_OF, job_id=JOB, seed="s"
    )
    emails = frames.contacts["email"]
    assert emails.str.ends_with("@solo.example").all()
    assert not emails.is_in(taken).any()
    assert emails.str.contains(r"\d@").sum() > 100  # collisions were numbered, not dropped
    assert_unique_emails(frames, ctx)


def test_emails_stay_unique_across_the_months_of_a_plan():
    ctx = existing_tenant(n_companies=3, per_company=2)
    plan = [
        (m, {"leadsCreated": 700, "contactsCreated": 700, "companiesCreated": 0})
        for m in ("2025-01", "2025-02", "2025-03")
    ]
    frames = generate_plan(plan, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert frames.contacts.height == 4200
    assert_unique_emails(frames, ctx)
    assert frames.contacts["email"].str.contains(r"\d@").any()


def test_each_company_keeps_one_email_convention():
    ctx = make_ctx()
    frames = generate_month(
        "2025-02", {"contactsCreated": 2000, "companiesCreated": 40}, ctx, as_of=AS_OF, job_id=JOB, seed=3
    )
    shapes = frames.contacts.with_columns(
        shape=pl.col("email").str.split("@").list.first().str.replace_all(r"[a-z]+", "a").str.replace_all(r"\d+", "")
    )
    per_company = shapes.group_by("company_id").agg(pl.col("shape").n_unique())
    # "a.a" (first.last or f.last), "a_a", "a" (flast/firstlast): never mixed within a company.
    assert mean(per_company["shape"] == 1) > 0.95
    assert shapes["shape"].n_unique() >= 3
