"""Plotly figures for the dashboard, built in Python from selector data as plain plotly.js
figure dicts ({"data": [...], "layout": {...}}, the JSON plotly.js draws). They are written
by hand rather than through plotly.graph_objects: validating a go.Figure cost ~20 ms a chart,
most of the dashboard's server time. Colours and fonts are applied in the browser
(static/js/charts.js) from the page's theme, so the same figure reads on a desk screen and on
the dark projector theme."""

from __future__ import annotations

import math

import pandas as pd
from django.utils.translation import gettext as _

BASE_LAYOUT = {"margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "showlegend": False,
               "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
               # the margins grow to fit the tick labels (plotly.py's template did this)
               "xaxis": {"automargin": True}, "yaxis": {"automargin": True}}


def _axis(**kw) -> dict:
    return {"automargin": True, **kw}


def _num(v) -> float | None:
    """A JSON-safe number: NaN and missing become None (a gap in a line)."""
    return None if v is None or pd.isna(v) else float(v)


def funnel_figure(steps: list[dict]) -> dict | None:
    """Entries per stage; each bar's text is its entries and their share of the previous
    stage's entries — the table's "of previous stage" column, the same number."""
    from engines.templatetags.metric_format import format_value

    rows = [s for s in steps if s["entries"]]
    if not rows:
        return None
    text = [format_value(s["entries"], "count") + (
        f" · {format_value(s['of_previous'], 'ratio')}" if s.get("of_previous") is not None
        else "") for s in rows]
    return {"data": [{"type": "funnel", "y": [str(s["label"]) for s in rows],
                      "x": [_num(s["entries"]) for s in rows], "text": text,
                      "textinfo": "text", "hoverinfo": "y+text",
                      "marker": {"color": "#3b4cca"}}],
            "layout": {**BASE_LAYOUT, "height": 300}}


def month_ticks(periods) -> dict:
    """Month axis ticks named in the page's language ("Jan 2026", "يناير 2026")."""
    from django.utils.formats import date_format

    vals = [p.isoformat() for p in periods]
    return {"tickmode": "array", "tickvals": vals,
            "ticktext": [date_format(p, "M Y") for p in periods]}


def day_ticks(days, most: int = 6) -> dict:
    """Day axis ticks named in the page's language ("3 Dec", "3 ديسمبر"), at most `most` of
    them evenly spread over the sorted distinct days (first and last included)."""
    from django.utils.formats import date_format

    days = sorted(set(days))
    if len(days) > most:
        step = (len(days) - 1) / (most - 1)
        days = [days[round(i * step)] for i in range(most)]
    return {"tickmode": "array", "tickvals": [d.isoformat() for d in days],
            "ticktext": [date_format(d, "j M") for d in days]}


def trend_figure(df: pd.DataFrame, keys: list[tuple[str, str]]) -> dict | None:
    """Lines for (key, label) over the months of `df` (index: period, columns: keys)."""
    if df is None or df.empty:
        return None
    x = [p.isoformat() for p in df.index]
    data = []
    for key, label in keys:
        if key in df:
            # the second series (a count beside a currency) gets its own axis on the far side
            data.append({"type": "scatter", "x": x, "y": [_num(v) for v in df[key]],
                         "name": str(label), "mode": "lines+markers",
                         "yaxis": "y2" if data else "y"})
    if not data:
        return None
    layout = {**BASE_LAYOUT, "showlegend": True, "height": 260,
              "legend": {"orientation": "h", "y": -0.2}, "xaxis": _axis(**month_ticks(list(df.index)))}
    from engines.metrics.registry import REGISTRY
    from mos.display import active_currency

    first = REGISTRY.get(keys[0][0])
    if first is not None and first.unit == "currency" and active_currency():
        layout["yaxis"] = _axis(tickprefix=f"{active_currency()} ")
    if len(data) > 1:
        top = max((v for v in data[1]["y"] if v is not None), default=0) or 1
        step = max(1, math.ceil(top / 4))  # whole customers: ticks on integers
        layout["yaxis"] = {**layout.get("yaxis", _axis()), "rangemode": "tozero"}
        layout["yaxis2"] = _axis(overlaying="y", side="right", showgrid=False,
                                 rangemode="tozero", tickmode="linear", tick0=0, dtick=step)
    return {"data": data, "layout": layout}


def sparkline(values: list[float | None]) -> dict | None:
    """A KPI card's trend line."""
    ys = [v for v in values if v is not None]
    if len(ys) < 2:
        return None
    return {"data": [{"type": "scatter", "y": [_num(v) for v in values], "mode": "lines",
                      "line": {"width": 2}, "hoverinfo": "skip"}],
            "layout": {**BASE_LAYOUT, "height": 48, "xaxis": {"visible": False},
                       "yaxis": {"visible": False}}}


def mrr_waterfall_figure(start: float | None, moves: dict[str, float], end: float | None,
                         labels: dict[str, str], title_start: str, title_end: str) -> dict | None:
    """MRR at the month's start, each movement as a step (up for new, expansion, reactivation;
    down for contraction and churn) and the MRR at its end."""
    if start is None and end is None:
        return None
    x = [title_start]
    y = [_num(start) or 0.0]
    measure = ["absolute"]
    for key in ("new", "expansion", "reactivation", "contraction", "churn"):
        v = moves.get(key) or 0.0
        x.append(str(labels[key]))
        y.append(-v if key in ("contraction", "churn") else v)
        measure.append("relative")
    x.append(title_end)
    y.append(_num(end) or 0.0)
    measure.append("total")
    return {"data": [{"type": "waterfall", "x": x, "y": y, "measure": measure,
                      "connector": {"line": {"width": 1}},
                      "increasing": {"marker": {"color": "#1a7f4b"}},
                      "decreasing": {"marker": {"color": "#c0392b"}},
                      "totals": {"marker": {"color": "#3b4cca"}}}],
            "layout": {**BASE_LAYOUT, "height": 280, "yaxis": _axis(rangemode="tozero")}}
