"""What every entity builder of one month shares: tenant, window, random streams, pools, ids."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from generators.clock import Window, weekend_count
from generators.context import TenantContext
from generators.errors import GenerationError
from generators.ids import IdMinter
from generators.pools import Pools
from generators.rng import Rng

MICROS = 1_000_000


def seconds_after(column: str) -> pl.Expr:
    """Whole epoch seconds at or after a timestamp column (naive values are taken as UTC)."""
    return (pl.col(column).dt.epoch("us") + (MICROS - 1)) // MICROS


def utc_datetime(seconds: pl.Expr) -> pl.Expr:
    return pl.from_epoch(seconds, time_unit="s").dt.replace_time_zone("UTC").dt.cast_time_unit("us")


@dataclass(frozen=True)
class Scope:
    month: str
    ctx: TenantContext
    window: Window
    rng: Rng
    pools: Pools
    minter: IdMinter
    as_of: int  # epoch seconds, floored: nothing may be stamped after it
    quarter_rng: Rng  # draws the months of one calendar quarter share

    @property
    def quarter(self) -> tuple[int, int]:
        """(year, quarter 1-4) of the month."""
        return int(self.month[:4]), (int(self.month[5:7]) - 1) // 3 + 1

    def fail(self, message: str) -> GenerationError:
        return GenerationError(f"{self.month}: {message}")

    def stamps(self, name: str, lower: pl.Series) -> pl.Series:
        """Business-hours instants (seconds), each >= its lower bound; some on weekends."""
        n = len(lower)
        rng = self.rng.child(name)
        weekend = rng.chosen("weekend", n, weekend_count(n, rng.uniform("share", 1)[0]))
        return self.window.stamp(lower.cast(pl.Int64), rng.uniform("at", n), weekend)

    def with_ids(self, entity: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Ids in creation order (ties by row), without reordering the frame."""
        ids = self.minter.ids(entity)
        if frame.is_empty():
            return frame.with_columns(id=ids)
        order = frame["created_s"].rank("ordinal").cast(pl.Int64) - 1
        return frame.with_columns(id=ids.gather(order))

    def owners(self, name: str, n: int) -> pl.Series:
        owners = self.ctx.owner_ids
        if not owners:
            return pl.repeat(None, n, dtype=pl.String, eager=True).alias("owner_id")
        pool = pl.Series("owner_id", list(owners), dtype=pl.String)
        return pool.gather(self.rng.integers(f"{name}.owner", n, len(owners)))
