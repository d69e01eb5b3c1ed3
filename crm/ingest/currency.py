"""Amounts in another currency, converted to the workspace currency with the workspace's
exchange rates (ExchangeRate: one unit of a currency in the workspace currency, per day).

The rule, used by order and spend ingest alike (API and CSV): an amount dated D in currency C
uses the C rate of day D, or else of the latest earlier day within RATE_LOOKBACK_DAYS days
(rates are published on business days: a Sunday order takes Friday's rate). Without one the row
is refused with a message naming the rate to add. The converted amount is rounded half-up to
the cent; the original amount and currency are kept beside it."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from crm.models import ExchangeRate

RATE_LOOKBACK_DAYS = 7
CENT = Decimal("0.01")

MISSING_RATE = _("No %(from)s→%(to)s rate for %(day)s or the %(n)d days before it. Add a "
                 "%(from)s→%(to)s rate for %(day)s or earlier (Exchange rates import, or "
                 "POST /api/v1/exchange-rates/bulk).")


class RateMissing(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Converter:
    """Converts amounts of one workspace; load the (currency, day) pairs a batch needs first
    (one query), then convert each row."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.target = (workspace.currency or "").upper()
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}

    def load(self, needs: set[tuple[str, date]]) -> "Converter":
        needs = {(c.upper(), d) for c, d in needs if c and c.upper() != self.target}
        if not needs:
            return self
        currencies = {c for c, _d in needs}
        days = [d for _c, d in needs]
        qs = (ExchangeRate.objects.filter(
            workspace=self.workspace, currency__in=currencies,
            date__gte=min(days) - timedelta(days=RATE_LOOKBACK_DAYS), date__lte=max(days))
            .order_by("currency", "date").values_list("currency", "date", "rate"))
        for c in currencies:
            self._days[c], self._rates[c] = [], []
        for c, d, r in qs:
            self._days[c].append(d)
            self._rates[c].append(r)
        return self

    def rate(self, currency: str, day: date) -> Decimal:
        currency = currency.upper()
        if currency == self.target:
            return Decimal(1)
        days = self._days.get(currency)
        if days is None:  # not loaded: load this one pair
            self.load({(currency, day)})
            days = self._days.get(currency, [])
        i = bisect_right(days, day) - 1
        if i >= 0 and (day - days[i]).days <= RATE_LOOKBACK_DAYS:
            return self._rates[currency][i]
        raise RateMissing(MISSING_RATE % {"from": currency, "to": self.target,
                                          "day": day.isoformat(), "n": RATE_LOOKBACK_DAYS})

    def convert(self, amount: Decimal, currency: str, day: date) -> Decimal:
        """The amount in the workspace currency, to the cent; RateMissing without a rate."""
        if not currency or currency.upper() == self.target:
            return amount.quantize(CENT, ROUND_HALF_UP)
        return (amount * self.rate(currency, day)).quantize(CENT, ROUND_HALF_UP)
