"""The allocation contract shared with the preview: counts and money per month."""

from __future__ import annotations

from decimal import Decimal

import pytest

from generators import AllocationError, allocate_month
from tests.generators.checks import EXAMPLE_JANUARY


def test_allocation_keeps_the_example_january():
    alloc = allocate_month(EXAMPLE_JANUARY, companies_available=5)
    assert (alloc.deals_won, alloc.deals_open, alloc.deals_lost) == (3, 3, 2)
    assert alloc.activities == 80 and alloc.companies == 10
    assert alloc.won_value == Decimal("25000.00") and alloc.open_value == Decimal("50000.00")


@pytest.mark.parametrize("value", [3.5, Decimal("3.5")])
def test_allocation_refuses_fractional_counts_instead_of_truncating(value):
    with pytest.raises(AllocationError, match=r"^dealsCreated must be a whole number, got 3.5$"):
        allocate_month({"dealsCreated": value})
    assert allocate_month({"dealsCreated": Decimal("3")}).deals == 3
