"""Reads of lead scoring: the rules, the proposed stage moves and the band report."""

from __future__ import annotations

import pandas as pd
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce

from ..models import Contact, ScoringRule, ScoringSettings, Stage, StageChange
from .compute import band_conversion

SQL_OR_LATER = [Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.ADVOCATE]
CUSTOMERS = [Stage.CUSTOMER, Stage.ADVOCATE]


def with_score(qs: QuerySet) -> QuerySet:
    """Contacts with their lead score as `score` (0 when never scored), to filter and sort."""
    return qs.annotate(score=Coalesce("lead_score__score", Value(0)))


def rules(workspace) -> QuerySet:
    return ScoringRule.objects.filter(workspace=workspace).order_by("kind", "field", "id")


def thresholds(workspace) -> ScoringSettings:
    """The stored thresholds, or the defaults (50 / 80) unsaved."""
    return (ScoringSettings.objects.filter(workspace=workspace).first()
            or ScoringSettings(workspace=workspace))


def proposals(workspace) -> dict:
    """Contacts whose score reaches the next stage's threshold: leads → MQL, MQLs → SQL,
    highest score first."""
    t = thresholds(workspace)
    base = with_score(Contact.objects.filter(workspace=workspace)).select_related("owner",
                                                                                  "account")
    to_mql = base.filter(stage=Stage.LEAD, score__gte=t.mql_threshold)
    to_sql = base.filter(stage=Stage.MQL, score__gte=t.sql_threshold)
    return {"thresholds": t,
            "to_mql": to_mql.order_by("-score", "-id"), "to_sql": to_sql.order_by("-score", "-id")}


def band_report(workspace) -> list[dict]:
    """How each score band converts: of the contacts now in the band, the share that reached
    SQL (or later) and the share that became customers, ever (stage history or stage now).
    The score is today's, so conversions that already happened also shaped it: read it as
    "how well the score ranks", not as a forecast."""
    reached = StageChange.objects.filter(contact=OuterRef("pk"), to_stage__in=SQL_OR_LATER)
    became = StageChange.objects.filter(contact=OuterRef("pk"), to_stage__in=CUSTOMERS)
    rows = list(with_score(Contact.objects.filter(workspace=workspace)).order_by()
                .annotate(r=Exists(reached), b=Exists(became))
                .values_list("score", "stage", "r", "b"))
    frame = pd.DataFrame(rows, columns=["score", "stage", "r", "b"])
    if frame.empty:
        frame = pd.DataFrame({"score": pd.Series(dtype=int), "reached_sql": pd.Series(dtype=bool),
                              "became_customer": pd.Series(dtype=bool)})
    else:
        frame["reached_sql"] = frame["r"].astype(bool) | frame["stage"].isin(SQL_OR_LATER)
        frame["became_customer"] = frame["b"].astype(bool) | frame["stage"].isin(CUSTOMERS)
    out = band_conversion(frame)
    return [{"band": str(r.band), "contacts": int(r.contacts), "reached_sql": int(r.reached_sql),
             "customers": int(r.customers),
             "sql_rate": None if pd.isna(r.sql_rate) else float(r.sql_rate),
             "customer_rate": None if pd.isna(r.customer_rate) else float(r.customer_rate)}
            for r in out.itertuples()]
