"""HTML → PDF with WeasyPrint (Pango/HarfBuzz shape Arabic and lay out right-to-left),
shared by the monthly report and the plans.

Static files (the stylesheet, the fonts) are read from disk through Django's static finders,
never fetched over the network: WeasyPrint runs inside the request that asked for the PDF."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders

BASE = "https://mos.invalid/"  # relative URLs resolve against this, then map to files


def _static_path(url: str) -> Path | None:
    path = urlparse(url).path
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if not path.startswith(prefix):
        return None
    rel = path[len(prefix):]
    found = finders.find(rel)
    if found:
        return Path(found)
    candidate = Path(settings.STATIC_ROOT) / rel
    return candidate if candidate.is_file() else None


MIME = {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff2": "font/woff2",
        ".svg": "image/svg+xml", ".png": "image/png"}


def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Static files from disk; anything else is refused (no network at run time)."""

        def fetch(self, url, headers=None):
            p = _static_path(url)
            if p is None:
                raise ValueError(f"not a static file: {url}")
            return URLFetcherResponse(url, body=p.read_bytes(), headers={
                "Content-Type": MIME.get(p.suffix, "application/octet-stream")})

    return StaticOnlyFetcher()


def html_to_pdf(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html, base_url=BASE, url_fetcher=_fetcher()).write_pdf()
