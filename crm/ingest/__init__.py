"""Bulk ingest: validate up to 10,000 rows at once and write the valid ones set-based.

Used by the API's bulk endpoints (`api.py`) and by the CSV import (crm.importing): every
`*_bulk` function takes the actor and a list of row dicts (values may be strings, as a CSV
gives them) and returns a BulkResult with one entry per row, in order — nothing is dropped.

- `common` — row results, field parsers, reference resolution, the shared row loop
- `contacts`, `orders`, `spend`, `consent` — one module per kind of row
- `events` — events, through PostgreSQL's COPY on the hot path

How it stays fast: every reference (contacts, channels, campaigns, personas, owners, known
event ids) is resolved with a handful of `IN` queries per request, rows are validated in one
Python pass over plain dicts, and the writes are `bulk_create` / `bulk_update` / one UPDATE.
Valid rows of a request are written in one transaction; a row reaches a service on its own only
on the rare identity-merge path.
"""
