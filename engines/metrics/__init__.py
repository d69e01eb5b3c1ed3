"""The metrics, one package.

- `registry` — what a metric key is (label, unit, direction, family); `catalogue` declares every
  key and is imported at app ready, so the registry is full without importing pandas.
- the families (`acquisition`, `funnel`, `economics`, `retention`, `crm`, `attribution`, `clv`)
  — pure, vectorised functions over pandas frames; importing one imports pandas.
- `loaders` — SQL → frames; `pipeline` — one run: load, compute every family, store;
  `tasks` — the Celery tasks that run the pipeline.
"""
