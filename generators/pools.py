"""Locale pools built from Faker once per locale: names, titles, phones, cities, forms.

Faker costs tens of microseconds per call, so nothing calls it per record: names come
from its locale lists whole (with their frequencies), phone templates and cities from a
few hundred calls with a fixed seed. Entity builders draw from the pools with vectorised,
job-seeded indexes, so the job's seed alone decides who appears. Importing and running
Faker costs a new process about 0.3 s, so built pools are kept on disk (pool_cache.py)
and Faker is imported only to build them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import polars as pl

from generators import pool_cache
from generators.text import ascii_letters
from generators.vocab import (
    COUNTRY_TLDS,
    INDUSTRY_WORDS,
    JOB_TITLES,
    LEGAL_FORMS,
)

if TYPE_CHECKING:
    from faker import Faker

POOL_SIZE = 300
POOL_SEED = 20250101  # pools are the same in every job; the job's seed picks from them
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Pools:
    language: str  # "en", "de", ... (the locale's language)
    country: str | None  # the locale's country name, e.g. "Germany"
    first_names: pl.DataFrame  # display, ascii, weight
    last_names: pl.DataFrame  # display, ascii, weight
    job_titles: pl.Series
    phones: pl.DataFrame  # head, pair (bool: a 2-digit slot before mid), mid, tail
    cities: pl.Series
    small_forms: pl.Series  # legal forms of small companies ("LLC", "GmbH")
    large_forms: pl.Series  # legal forms of large companies ("Inc.", "AG")
    industry_words: tuple[tuple[str, ...], ...]  # per INDUSTRIES entry
    local_tld: str


# The dtypes of the pools' frames, which their stored form (JSON lists) does not carry.
NAME_SCHEMA = {"display": pl.String, "ascii": pl.String, "weight": pl.Float64}
PHONE_SCHEMA = {"head": pl.String, "pair": pl.Boolean, "mid": pl.String, "tail": pl.String}


@functools.lru_cache(maxsize=8)
def _faker(locale: str) -> Faker:
    from faker import Faker  # importing Faker alone costs a new process ~0.2 s: only building pools needs it

    return Faker(locale)


def _person_names(fake: Faker, kind: str) -> pl.DataFrame:
    """Every name of the locale's list with its frequency, and an ASCII form for emails."""
    provider = next(p for p in fake.get_providers() if ".person" in type(p).__module__)
    pairs = getattr(provider, f"{kind}_name_pairs", None)  # ja_JP: (kanji, kana, romanized)
    names = getattr(provider, f"{kind}_names", None)
    if pairs:
        display, latin, weights = [p[0] for p in pairs], [p[2] for p in pairs], [1.0] * len(pairs)
    elif isinstance(names, dict):
        display, weights = list(names), [float(w) for w in names.values()]
        latin = display
    elif names:
        display, weights = list(names), [1.0] * len(names)
        latin = display
    else:
        display = [getattr(fake, f"{kind}_name")() for _ in range(POOL_SIZE)]
        latin, weights = display, [1.0] * len(display)
    frame = pl.DataFrame(
        {
            "display": display,
            "ascii": [ascii_letters(name) for name in latin],
            "weight": weights,
        }
    ).filter(pl.col("ascii") != "")
    if frame.height < 20:  # a script we cannot romanise: fall back to English names
        return _person_names(_faker("en_US"), kind)
    return frame


def _phone_parts(number: str) -> tuple[str, bool, str, str] | None:
    """Split a phone number around its last four digits: head, first pair, separator, tail.

    Two 2-digit slots let every template vary 10,000 ways whether it writes "0982" or "09 82".
    """
    number = re.split(r"\s*(?:x|ext\.?)\s*\d+$", number)[0]
    digits = [m.start() for m in _DIGIT.finditer(number)]
    if len(digits) < 6:
        return None
    a, b, c, d = digits[-4:]
    if b == a + 1 and d == c + 1:
        return number[:a], True, number[b + 1 : c], number[d + 1 :]
    if d == c + 1:
        return number[:c], False, "", number[d + 1 :]
    return None


def _phones(fake: Faker) -> pl.DataFrame:
    rows = [p for p in (_phone_parts(fake.phone_number()) for _ in range(POOL_SIZE)) if p]
    if not rows:
        rows = [("+1 555 01", True, "", "")]
    return pl.DataFrame(rows, schema=["head", "pair", "mid", "tail"], orient="row")


def _country(fake: Faker) -> str | None:
    try:
        return str(fake.current_country())
    except (AttributeError, ValueError):
        return None


def _country_code(locale: str) -> str:
    return locale.split("_")[-1].upper() if "_" in locale else ""


@functools.lru_cache(maxsize=16)
def locale_pools(locale: str) -> Pools:
    """Pools for one locale, from the disk cache when it has them; raises ValueError for a
    locale Faker does not know."""
    stored = pool_cache.read(locale)
    if stored is not None:
        try:
            return _from_payload(stored)
        except (KeyError, TypeError, ValueError, pl.exceptions.PolarsError):
            pass  # a damaged file: build the pools again and replace it
    pools = build_pools(locale)
    pool_cache.write(locale, _to_payload(pools))
    return pools


def build_pools(locale: str) -> Pools:
    """Pools for one locale, sampled from Faker with a fixed seed."""
    try:
        fake = _faker(locale)
    except AttributeError as exc:
        raise ValueError(f"unknown locale '{locale}'") from exc
    fake.seed_instance(POOL_SEED)
    language = locale.split("_")[0].lower()
    country_code = _country_code(locale)
    titles = JOB_TITLES.get(language) or tuple({fake.job() for _ in range(POOL_SIZE // 4)})
    small, large = LEGAL_FORMS.get(country_code) or (tuple(sorted({fake.company_suffix() for _ in range(40)})),) * 2
    tld = COUNTRY_TLDS.get(country_code) or (country_code.lower() if country_code else "com")
    return Pools(
        language=language,
        country=_country(fake),
        first_names=_person_names(fake, "first"),
        last_names=_person_names(fake, "last"),
        job_titles=pl.Series("job_title", sorted(titles)),
        phones=_phones(fake),
        cities=pl.Series("city", [fake.city() for _ in range(POOL_SIZE // 2)]),
        small_forms=pl.Series("form", small),
        large_forms=pl.Series("form", large),
        industry_words=INDUSTRY_WORDS.get(language, INDUSTRY_WORDS["en"]),
        local_tld=tld,
    )


def _to_payload(pools: Pools) -> dict[str, Any]:
    """The pools as JSON values: frames as lists per column, series as lists."""
    payload: dict[str, Any] = {}
    for field in fields(pools):
        value = getattr(pools, field.name)
        if isinstance(value, pl.DataFrame):
            value = value.to_dict(as_series=False)
        elif isinstance(value, pl.Series):
            value = value.to_list()
        payload[field.name] = value
    return payload


def _from_payload(payload: dict[str, Any]) -> Pools:
    def series(name: str, label: str) -> pl.Series:
        return pl.Series(label, payload[name], dtype=pl.String)

    return Pools(
        language=str(payload["language"]),
        country=None if payload["country"] is None else str(payload["country"]),
        first_names=pl.DataFrame(payload["first_names"], schema=NAME_SCHEMA),
        last_names=pl.DataFrame(payload["last_names"], schema=NAME_SCHEMA),
        job_titles=series("job_titles", "job_title"),
        phones=pl.DataFrame(payload["phones"], schema=PHONE_SCHEMA),
        cities=series("cities", "city"),
        small_forms=series("small_forms", "form"),
        large_forms=series("large_forms", "form"),
        industry_words=tuple(tuple(str(word) for word in words) for words in payload["industry_words"]),
        local_tld=str(payload["local_tld"]),
    )
