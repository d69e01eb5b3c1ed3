"""Customer-service KPIs of seed 003 from crm.service's rows.

- NPS: of the NPS answers given in the period, % promoters (9–10) − % detractors (0–6), stored
  through its inputs nps_net (promoters − detractors) and nps_responses, so any set of periods
  recomputes it from counts (never an average of monthly scores).
- CSAT: share of CSAT answers of 4 or 5 among those given in the period.
- complaints / suggestions received per period; complaints resolved per period of resolution
  with the median days from received to resolved; handling minutes (total and the count of
  complaints that carry one) per period received.
"""

from __future__ import annotations

import pandas as pd

from .acquisition import check_grain, combine, cutoff, period_start, to_values

# this family's own input frames (read by its step only, so not in the run's frames.FRAMES):
# survey answers (kind nps 0–10, csat 1–5) and complaints or suggestions with their handling
# (NaT / NaN when not resolved / not recorded); times tz-naive local, as frames.py says
SERVICE_FRAMES: dict[str, dict[str, str]] = {
    "survey_answers": {"contact_id": "int64", "kind": "object", "score": "int64",
                       "answered_at": "datetime64[ns]"},
    "complaints": {"kind": "object", "received_at": "datetime64[ns]",
                   "resolved_at": "datetime64[ns]", "handling_minutes": "float64"},
}


def empty_frame(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in SERVICE_FRAMES[name].items()})


def make_frame(name: str, rows: list[tuple]) -> pd.DataFrame:
    """A frame of this family's input from tuples in column order (for tests)."""
    cols = SERVICE_FRAMES[name]
    df = pd.DataFrame(rows, columns=list(cols))
    if df.empty:
        return empty_frame(name)
    for c, t in cols.items():
        df[c] = pd.to_datetime(df[c]) if t.startswith("datetime") else df[c].astype(t)
    return df


def _typed(df: pd.DataFrame, name: str, tz: str) -> pd.DataFrame:
    from .loaders import _times

    if df.empty:
        return empty_frame(name)
    out = {}
    for c, t in SERVICE_FRAMES[name].items():
        if t.startswith("datetime"):  # resolved_at may be NULL: convert the rest
            s, known = df[c], df[c].notna()
            out[c] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
            if known.any():
                out[c][known] = _times(s[known], tz)
        else:
            out[c] = pd.to_numeric(df[c], errors="coerce").astype(t) if t != "object" \
                else df[c].astype(str)
    return pd.DataFrame(out)


def survey_values(answers: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    check_grain(grain)
    a = answers[answers["answered_at"] < cutoff(as_of)]
    parts = []
    nps = a[a["kind"] == "nps"]
    if len(nps):
        p = period_start(nps["answered_at"], grain)
        net = ((nps["score"] >= 9).astype("int64") - (nps["score"] <= 6).astype("int64"))
        n, net = nps["score"].groupby(p).size(), net.groupby(p).sum()
        parts += [to_values(n, "nps_responses", grain), to_values(net, "nps_net", grain),
                  to_values(net / n * 100.0, "nps", grain)]
    csat = a[a["kind"] == "csat"]
    if len(csat):
        p = period_start(csat["answered_at"], grain)
        n = csat["score"].groupby(p).size()
        ok = (csat["score"] >= 4).astype("int64").groupby(p).sum()
        parts += [to_values(n, "csat_responses", grain), to_values(ok, "csat_satisfied", grain),
                  to_values(ok / n, "csat", grain)]
    return combine(parts)


def complaint_values(complaints: pd.DataFrame, *, grain: str, as_of) -> pd.DataFrame:
    check_grain(grain)
    end = cutoff(as_of)
    c = complaints[complaints["received_at"] < end]
    parts = []
    if len(c):
        p = period_start(c["received_at"], grain)
        for kind, key in (("complaint", "complaints"), ("suggestion", "suggestions")):
            parts.append(to_values((c["kind"] == kind).astype("int64").groupby(p).sum(),
                                   key, grain))
        timed = c[c["handling_minutes"].notna()]
        if len(timed):
            tp = period_start(timed["received_at"], grain)
            total = timed["handling_minutes"].groupby(tp).sum()
            n = timed["handling_minutes"].groupby(tp).size()
            parts += [to_values(total, "handling_minutes_total", grain),
                      to_values(n, "handled_contacts", grain),
                      to_values(total / n, "handling_minutes_avg", grain)]
    r = c[(c["kind"] == "complaint") & c["resolved_at"].notna() & (c["resolved_at"] < end)]
    if len(r):
        p = period_start(r["resolved_at"], grain)
        days = (r["resolved_at"] - r["received_at"]).dt.total_seconds() / 86400
        parts += [to_values(days.groupby(p).size(), "complaints_resolved", grain),
                  to_values(days.groupby(p).median(), "resolution_days_median", grain)]
    return combine(parts)


def compute_service(answers: pd.DataFrame | None, complaints: pd.DataFrame | None, *,
                    grain: str, as_of) -> pd.DataFrame:
    answers = empty_frame("survey_answers") if answers is None else answers
    complaints = empty_frame("complaints") if complaints is None else complaints
    return combine([survey_values(answers, grain=grain, as_of=as_of),
                    complaint_values(complaints, grain=grain, as_of=as_of)])


def load_service(workspace_id: int, window) -> dict[str, pd.DataFrame]:
    """The window's survey answers and complaints (two queries)."""
    from .loaders import epoch, read_rows

    answers = read_rows(
        f"SELECT a.contact_id, s.kind, a.score, {epoch('a.answered_at')} "
        "FROM crm_surveyanswer a JOIN crm_survey s ON s.id = a.survey_id "
        "WHERE a.workspace_id = %s AND a.answered_at >= %s AND a.answered_at < %s",
        [workspace_id, window.utc(window.start), window.end_utc],
        ["contact_id", "kind", "score", "answered_at"], stream=False)
    complaints = read_rows(
        f"SELECT kind, {epoch('received_at')}, {epoch('resolved_at')}, handling_minutes "
        "FROM crm_complaint WHERE workspace_id = %s AND "
        "((received_at >= %s AND received_at < %s) OR (resolved_at >= %s AND resolved_at < %s))",
        [workspace_id, window.utc(window.start), window.end_utc, window.utc(window.start),
         window.end_utc],
        ["kind", "received_at", "resolved_at", "handling_minutes"], stream=False)
    return {"survey_answers": _typed(answers, "survey_answers", window.tz),
            "complaints": _typed(complaints, "complaints", window.tz)}
