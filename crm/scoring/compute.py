"""The lead score, as pure functions over data frames (loading lives in loaders.py).

score = clip(round(Σ property points + Σ fit points + Σ event points), 0, 100)

- a property or fit rule adds its points once when the contact's value is one of the rule's
  values (case-insensitive; no values: any non-blank value);
- an event rule adds, for every occurrence of its event, points × 0.5^(age in days /
  half-life), summed and capped at the rule's max_points (age counted in whole days before
  the as-of date, so an event today weighs 1 and one a half-life ago 0.5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

DEFAULT_HALF_LIFE = 30
MAX_LOOKBACK_DAYS = 365

# rule.field → the contact frame's column for property and fit rules
PROPERTY_COLUMNS = {"country": "country", "city": "city", "language": "language",
                    "buying_role": "buying_role", "company": "company",
                    "source_channel": "source_channel__key"}
FIT_COLUMNS = {"persona": "persona__name", "customer_type": "customer_type",
               "account_size": "account__size", "account_industry": "account__industry"}


@dataclass(frozen=True)
class Rule:
    kind: str  # property, event, fit
    field: str
    values: tuple = ()
    points: int = 0
    half_life_days: int | None = None
    max_points: int | None = None

    @property
    def column(self) -> str:
        if self.kind == "fit":
            return FIT_COLUMNS[self.field]
        if self.field.startswith("properties."):
            return "prop__" + self.field.split(".", 1)[1]
        return PROPERTY_COLUMNS[self.field]

    @property
    def half_life(self) -> int:
        return self.half_life_days or DEFAULT_HALF_LIFE

    @property
    def lookback_days(self) -> int:
        """Older occurrences weigh < 0.4 % of a fresh one (8 half-lives), at most a year."""
        return min(8 * self.half_life, MAX_LOOKBACK_DAYS)


def columns_needed(rules: list[Rule]) -> list[str]:
    return sorted({r.column for r in rules if r.kind in ("property", "fit")})


def score_contacts(contacts: pd.DataFrame, events: pd.DataFrame, rules: list[Rule],
                   as_of: date) -> pd.Series:
    """Scores (int, 0–100) indexed by contact id.

    contacts: column `id` plus columns_needed(rules); events: contact_id, name, day (date),
    n (occurrences that day) — only the rules' events within their lookback."""
    ids = contacts["id"].to_numpy()
    total = np.zeros(len(ids), dtype=float)
    for rule in rules:
        if rule.kind == "event":
            continue
        col = contacts[rule.column].fillna("").astype(str).str.strip().str.lower()
        wanted = [str(v).strip().lower() for v in rule.values if str(v).strip()]
        mask = col.isin(wanted) if wanted else col.ne("")
        total += mask.to_numpy() * rule.points
    score = pd.Series(total, index=ids)
    event_rules = [r for r in rules if r.kind == "event"]
    if event_rules and len(events):
        age = (pd.Timestamp(as_of) - pd.to_datetime(events["day"])).dt.days.clip(lower=0)
        for rule in event_rules:
            sel = (events["name"] == rule.field) & (age <= rule.lookback_days)
            if not sel.any():
                continue
            weight = events.loc[sel, "n"] * np.power(0.5, age[sel] / rule.half_life)
            pts = (weight * rule.points).groupby(events.loc[sel, "contact_id"]).sum()
            if rule.max_points is not None:
                cap = abs(rule.max_points)
                pts = pts.clip(lower=-cap, upper=cap)
            score = score.add(pts.reindex(score.index, fill_value=0.0), fill_value=0.0)
    return np.rint(score).clip(0, 100).astype(int)


BANDS = [(0, 19), (20, 39), (40, 59), (60, 79), (80, 100)]


def band_of(scores: pd.Series) -> pd.Series:
    edges = [-1] + [hi for _lo, hi in BANDS]
    labels = [f"{lo}–{hi}" for lo, hi in BANDS]
    return pd.cut(scores, bins=edges, labels=labels)


def band_conversion(frame: pd.DataFrame) -> pd.DataFrame:
    """frame: score, reached_sql (bool), became_customer (bool), one row per contact →
    per band: contacts, share that reached SQL or later, share that became a customer."""
    bands = band_of(frame["score"])
    g = frame.assign(band=bands).groupby("band", observed=False)
    out = pd.DataFrame({"contacts": g.size(),
                        "reached_sql": g["reached_sql"].sum(),
                        "customers": g["became_customer"].sum()})
    n = out["contacts"].replace(0, np.nan)
    out["sql_rate"] = out["reached_sql"] / n
    out["customer_rate"] = out["customers"] / n
    return out.reset_index()
