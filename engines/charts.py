"""Plotly figures for the dashboard, built in Python from selector data. Colours and fonts
are applied in the browser (static/js/charts.js) from the page's theme, so the same figure
reads on a desk screen and on the dark projector theme."""

from __future__ import annotations

import json
import math

import pandas as pd
import plotly.graph_objects as go
from django.utils.translation import gettext as _

BASE_LAYOUT = dict(margin=dict(l=8, r=8, t=8, b=8), showlegend=False,
                   paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")


def as_json(fig: go.Figure) -> dict:
    """The figure as plain JSON data for json_script (no numpy types)."""
    return json.loads(fig.to_json())


def funnel_figure(steps: list[dict]) -> dict | None:
    rows = [s for s in steps if s["entries"]]
    if not rows:
        return None
    fig = go.Figure(go.Funnel(
        y=[str(s["label"]) for s in rows], x=[s["entries"] for s in rows],
        textinfo="value+percent initial", marker={"color": "#3b4cca"}))
    fig.update_layout(**BASE_LAYOUT, height=300)
    return as_json(fig)


def trend_figure(df: pd.DataFrame, keys: list[tuple[str, str]]) -> dict | None:
    """Lines for (key, label) over the months of `df` (index: period, columns: keys)."""
    if df is None or df.empty:
        return None
    fig = go.Figure()
    for key, label in keys:
        if key in df:
            # the second series (a count beside a currency) gets its own axis on the far side
            axis = "y2" if fig.data else "y"
            ys = [None if pd.isna(v) else float(v) for v in df[key]]  # a gap, not NaN
            fig.add_trace(go.Scatter(x=[p.isoformat() for p in df.index], y=ys,
                                     name=str(label), mode="lines+markers", yaxis=axis))
    if not fig.data:
        return None
    layout = dict(legend=dict(orientation="h", y=-0.2), xaxis=dict(tickformat="%b %Y"))
    if len(fig.data) > 1:
        top = max((v for v in fig.data[1].y if v is not None and math.isfinite(v)),
                  default=0) or 1
        step = max(1, math.ceil(top / 4))  # whole customers: ticks on integers
        layout["yaxis2"] = dict(overlaying="y", side="right", showgrid=False, rangemode="tozero",
                                tickmode="linear", tick0=0, dtick=step)
        layout["yaxis"] = dict(rangemode="tozero")
    fig.update_layout(**{**BASE_LAYOUT, "showlegend": True}, height=260, **layout)
    return as_json(fig)


def cohort_figure(matrix: pd.DataFrame) -> dict | None:
    if matrix is None or matrix.empty:
        return None
    z = (matrix * 100).round(1)
    fig = go.Figure(go.Heatmap(
        z=z.values.tolist(), x=[str(c) for c in z.columns],
        y=[p.strftime("%Y-%m") for p in z.index], colorscale="Blues", zmin=0, zmax=100,
        text=[[("" if pd.isna(v) else f"{v:.0f}%") for v in row] for row in z.values],
        texttemplate="%{text}", hovertemplate=_("cohort %{y}, month %{x}: %{z}%") + "<extra></extra>",
        showscale=False))
    fig.update_layout(**BASE_LAYOUT, height=max(220, 26 * len(z) + 60),
                      xaxis=dict(title=_("months since first purchase"), side="top"),
                      yaxis=dict(autorange="reversed", type="category"))
    return as_json(fig)


def sparkline(values: list[float | None]) -> dict | None:
    ys = [v for v in values if v is not None]
    if len(ys) < 2:
        return None
    fig = go.Figure(go.Scatter(y=values, mode="lines", line={"width": 2}, hoverinfo="skip"))
    fig.update_layout(**BASE_LAYOUT, height=48, xaxis=dict(visible=False),
                      yaxis=dict(visible=False))
    return as_json(fig)
