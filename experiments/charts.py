"""The cumulative-effect figure (plain plotly.js dict; colours applied by static/js/charts.js)."""

from __future__ import annotations

from engines.charts import BASE_LAYOUT, day_ticks

COLOURS = ["#3b4cca", "#c2410c", "#15803d", "#7c3aed"]


def cumulative_figure(series: dict) -> dict | None:
    """Relative effect of each variant vs control over time, with its confidence band."""
    data = []
    days = [p[0] for points in series.values() for p in points]
    for i, (key, points) in enumerate(series.items()):
        if not points:
            continue
        colour = COLOURS[i % len(COLOURS)]
        x = [p[0].isoformat() for p in points]
        data.append({"type": "scatter", "mode": "lines", "x": x + x[::-1],
                     "y": [p[3] for p in points] + [p[2] for p in points][::-1],
                     "fill": "toself", "line": {"width": 0}, "fillcolor": colour,
                     "opacity": 0.15, "hoverinfo": "skip", "showlegend": False})
        data.append({"type": "scatter", "mode": "lines", "name": key, "x": x,
                     "y": [p[1] for p in points], "line": {"color": colour, "width": 2},
                     "hovertemplate": "%{x}: %{y:.1%}<extra>" + key + "</extra>"})
    if not data:
        return None
    return {"data": data, "layout": {
        **BASE_LAYOUT, "height": 280, "showlegend": len(series) > 1,
        # the axis is named by the section heading: a rotated title collides with the
        # tick labels once the axis moves to the right in Arabic
        "yaxis": {"automargin": True, "tickformat": ".0%", "zeroline": True},
        # ticks named in the page's language (plotly's own month names are English)
        "xaxis": {"automargin": True, "type": "date", **day_ticks(days)}}}
