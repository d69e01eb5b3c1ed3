"""Metric families: pure functions over pandas frames. Importing this package registers them all."""
