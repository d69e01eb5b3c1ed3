"""HTML → PDF: the generic part lives in mos.pdf (planning prints its plans the same way)."""

from mos.pdf import html_to_pdf  # noqa: F401
