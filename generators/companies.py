"""New companies: a name that reads like its industry, a domain made from the name, a plausible size."""

from __future__ import annotations

import polars as pl

from generators.scope import Scope, seconds_after
from generators.text import ascii_letters, make_unique, taken_among
from generators.vocab import (
    INDUSTRIES,
    INDUSTRY_WORDS,
    LARGE_FROM,
    LOCAL_TLD_SHARE,
    NO_SPACE,
    SIZE_CONTACT_WEIGHT,
    SIZE_DEAL_FACTOR,
    SIZE_SHARES,
    SIZES,
    WORD_FIRST,
)

DOUBLE_NAME_SHARE = 0.15  # "Parker & Reed Logistics"
LEGAL_FORM_SHARE = 0.75
SIZE_BIAS_SHARE = 0.4  # how often an industry's lean (smaller/larger) moves the size band


def _word_table(words: tuple[tuple[str, ...], ...]) -> pl.DataFrame:
    """Industry words flattened, with an ASCII form for domains (English where none exists)."""
    english = INDUSTRY_WORDS["en"]
    rows = [
        (i, word, ascii_letters(word) or ascii_letters(english[i][j % len(english[i])]))
        for i, options in enumerate(words)
        for j, word in enumerate(options)
    ]
    return pl.DataFrame(rows, schema=["industry", "word", "word_ascii"], orient="row")


def existing_companies(scope: Scope) -> pl.DataFrame:
    """The tenant's companies as parents: id, domain, label (name or domain), created second."""
    frame = scope.ctx.companies
    label = (
        pl.col("name") if "name" in frame.columns else pl.col("domain").str.split(".").list.first().str.to_titlecase()
    )
    return frame.select(
        pl.col("id").cast(pl.String),
        pl.col("domain").cast(pl.String).str.to_lowercase(),
        pl.coalesce(label, pl.col("domain")).cast(pl.String).alias("label"),
        seconds_after("created_at").alias("created_s"),
    )


def build_companies(scope: Scope, n: int) -> pl.DataFrame:
    """n companies stamped in the window, with ids in creation order."""
    rng = scope.rng.child("companies")
    pools = scope.pools
    industries = list(INDUSTRIES)
    industry = rng.pick("industry", n, [share for share, _ in INDUSTRIES.values()])
    bias = pl.Series([lean for _, lean in INDUSTRIES.values()]).gather(industry)
    nudged = rng.pick("size", n, SIZE_SHARES) + bias * (rng.uniform("bias", n) < SIZE_BIAS_SHARE)
    size = nudged.clip(0, len(SIZES) - 1)

    words = _word_table(pools.industry_words)
    counts = words.group_by("industry").len().sort("industry")
    offsets = counts["len"].cum_sum() - counts["len"]
    word_row = offsets.gather(industry).cast(pl.Int64) + (
        rng.uniform("word", n) * counts["len"].gather(industry)
    ).floor().cast(pl.Int64)

    last = pools.last_names
    first_surname = last.gather(rng.pick("surname", n, last["weight"]))
    second_surname = last.gather(rng.pick("surname2", n, last["weight"]))
    large = size >= LARGE_FROM
    small_form = pools.small_forms.gather(rng.integers("small_form", n, len(pools.small_forms)))
    large_form = pools.large_forms.gather(rng.integers("large_form", n, len(pools.large_forms)))
    frame = pl.DataFrame(
        {
            "industry_idx": industry,
            "size_idx": size,
            "s1": first_surname["display"],
            "s1a": first_surname["ascii"],
            "s2": second_surname["display"],
            "s2a": second_surname["ascii"],
            "word": words["word"].gather(word_row),
            "worda": words["word_ascii"].gather(word_row),
            "form": large_form.zip_with(large, small_form),
            "with_form": rng.uniform("with_form", n) < LEGAL_FORM_SHARE,
            "double": (rng.uniform("double", n) < DOUBLE_NAME_SHARE)
            & (first_surname["ascii"] != second_surname["ascii"])
            & (pools.language not in NO_SPACE),
            "domain_style": rng.integers("domain_style", n, 3),
            "local_tld": rng.uniform("tld", n) < LOCAL_TLD_SHARE,
            "city": pools.cities.gather(rng.integers("city", n, len(pools.cities))),
        }
    )
    return _finish(scope, frame.with_columns(_names(pools.language)), industries)


def _names(language: str) -> list[pl.Expr]:
    space = "" if language in NO_SPACE else " "
    people = (
        pl.when(pl.col("double")).then(pl.concat_str(pl.col("s1"), pl.lit(" & "), pl.col("s2"))).otherwise(pl.col("s1"))
    )
    core = (
        pl.concat_str(pl.col("word"), pl.lit(space), people)
        if language in WORD_FIRST
        else pl.concat_str(people, pl.lit(space), pl.col("word"))
    )
    if language in NO_SPACE:  # 株式会社 goes before or after the name
        named = (
            pl.when(pl.col("domain_style") == 0)
            .then(pl.concat_str(pl.col("form"), core))
            .otherwise(pl.concat_str(core, pl.col("form")))
        )
    else:
        named = pl.concat_str(core, pl.lit(" "), pl.col("form"))
    name = pl.when(pl.col("with_form")).then(named).otherwise(core)
    stem = pl.when(pl.col("double")).then(pl.concat_str(pl.col("s1a"), pl.col("s2a"))).otherwise(pl.col("s1a"))
    return [name.alias("name"), stem.alias("stem")]


def _finish(scope: Scope, frame: pl.DataFrame, industries: list[str]) -> pl.DataFrame:
    tld = pl.when(pl.col("local_tld")).then(pl.lit(scope.pools.local_tld)).otherwise(pl.lit("com"))
    joined = pl.concat_str(pl.col("stem"), pl.col("worda"), pl.lit("."), tld)
    hyphened = pl.concat_str(pl.col("stem"), pl.lit("-"), pl.col("worda"), pl.lit("."), tld)
    short = pl.concat_str(pl.col("stem"), pl.lit("."), tld)
    preferred = (
        pl.when(pl.col("domain_style") == 0)
        .then(joined)
        .when(pl.col("domain_style") == 1)
        .then(hyphened)
        .otherwise(short)
    )
    taken = taken_among(existing_companies(scope)["domain"], scope.ctx.domains_taken)
    numbered = pl.concat_str(pl.col("stem"), pl.col("worda"), pl.lit("{n}."), tld)
    narrow = frame.select("stem", "worda", "local_tld", "domain_style")
    domain = make_unique(narrow, [preferred, joined, hyphened], numbered, taken)
    n = frame.height
    frame = frame.with_columns(
        domain=domain,
        industry=pl.Series(industries).gather(frame["industry_idx"]),
        size=pl.Series(SIZES).gather(frame["size_idx"]),
        size_weight=pl.Series(SIZE_CONTACT_WEIGHT).gather(frame["size_idx"]),
        deal_factor=pl.Series(SIZE_DEAL_FACTOR).gather(frame["size_idx"]),
        country=pl.lit(scope.pools.country, pl.String),
        owner_id=scope.owners("companies", n),
        created_s=scope.stamps("companies", pl.repeat(scope.window.lo, n, dtype=pl.Int64, eager=True)),
    )
    return (
        scope.with_ids("companies", frame)
        .with_columns(label=pl.col("name"))
        .select(
            "id",
            "owner_id",
            "name",
            "domain",
            "industry",
            "size",
            "city",
            "country",
            "created_s",
            "size_weight",
            "deal_factor",
            "label",
        )
    )
