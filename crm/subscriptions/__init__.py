"""Subscriptions: recurring plans (MRR) of contacts and accounts — writes, reads and the API.
The bulk endpoint and the CSV layouts are in crm.ingest.subscriptions and crm.importing."""
