"""A month of numbers worked out by hand, for the report tests.

Channels (first-touch attribution, the workspace default):
  google_ads: spend 1,000, 4 customers → CAC 250; revenue 800 → ROAS 0.8
  seo:        spend 500, 10 customers → CAC 50; revenue 2,000 → ROAS 4.0
  email:      no spend (skipped by the Stop/Continue rules)
KPIs (month):
  North Star new_customers: 14 vs target 20 → 70 % (a problem)
  leads: 150 vs 100 → 150 % (a win)
  blended CAC (down): 107.14 vs 200 → 200/107.14 = 186.7 % (the best win)
  churn (down): 0.08 vs 0.03, guardrail max 0.05 → breach (the first problem)
The workspace CAC target (200) is each channel's target: google_ads misses it (250 > 200)
and has ROAS < 1 → Stop; seo beats it (50 ≤ 200) with ROAS 4 → Continue."""

from __future__ import annotations

import pytest

from reports.selectors import last_closed_month
from reports.tests.data import month_of_numbers


@pytest.fixture
def month():
    return last_closed_month()


@pytest.fixture
def month_data(workspace, month):
    return month_of_numbers(workspace, month)
