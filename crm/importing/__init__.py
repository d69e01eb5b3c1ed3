"""CSV imports of contacts, orders and ad spend: `formats` reads a file into rows, `jobs` previews
and runs an ImportJob through the same functions as the bulk API (crm.ingest), `tasks` runs it
in the background, `views`/`urls` are the pages."""
