"""Screenshots of MOS pages in English and Arabic, for looking at what we build.

    .venv/bin/python scripts/screens.py [--base http://127.0.0.1:8000] [--width 1280]
        [--user demo@mos.local] path [path …]

Logs in through the login form, then saves var/screens/<name>-<lang>-<width>.png per path."""

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--base", default="http://127.0.0.1:8000")
    ap.add_argument("--user", default="demo@mos.local")
    ap.add_argument("--password", default="demo-password")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--langs", default="en,ar")
    ap.add_argument("--theme", default="light")
    ap.add_argument("--full", action="store_true", help="full-page screenshot")
    a = ap.parse_args()
    out = Path("var/screens")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for lang in a.langs.split(","):
            ctx = browser.new_context(viewport={"width": a.width, "height": a.height})
            ctx.add_cookies([{"name": "django_language", "value": lang, "url": a.base}])
            page = ctx.new_page()
            page.goto(a.base + "/accounts/login/")
            page.fill("input[name=username]", a.user)
            page.fill("input[name=password]", a.password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            if a.theme == "dark":
                page.evaluate("localStorage.setItem('mos-theme', 'dark')")
            for path in a.paths:
                page.goto(a.base + path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(400)
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                f = out / f"{name}-{lang}-{a.width}{'-dark' if a.theme == 'dark' else ''}.png"
                page.screenshot(path=str(f), full_page=a.full)
                print(f)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
