"""Metric families: pure functions over pandas frames. Importing this package registers them all."""

from . import acquisition, attribution, clv, crm, economics, funnel, retention  # noqa: F401
