"""The README's first command, as a newcomer types it: `make run` in this checkout.

Starts `make run` in its own process group on a free port (DATABASE_URL / REDIS_URL unset: the
embedded default), waits for /healthz, signs in as the demo admin with a real CSRF login POST,
opens the dashboard and checks it shows the demo workspace, then stops the whole process group
(make, runserver and runserver's autoreload child). Standard library only.

    python3 scripts/first_run.py [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "demo@mos.local", "demo-password"
WORKSPACE_NAME = "Demo Co"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(msg: str, log: Path) -> None:
    print(f"first run: FAILED: {msg}", file=sys.stderr)
    print("---- last lines of `make run`:", file=sys.stderr)
    print("\n".join(log.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
    raise SystemExit(1)


def check(base: str, log: Path) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    page = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token:
        fail("the login page has no CSRF token", log)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": EMAIL,
                                   "password": PASSWORD}).encode()
    req = urllib.request.Request(f"{base}/accounts/login/", data=form,
                                 headers={"Referer": f"{base}/accounts/login/"})
    resp = opener.open(req, timeout=60)  # follows the redirects: / -> /w/demo/
    body = resp.read().decode()
    if resp.status != 200:
        fail(f"the dashboard answered {resp.status}", log)
    if "/accounts/login/" in resp.url:
        fail("the demo login was refused (still on the login page)", log)
    for needle in (WORKSPACE_NAME, "North Star"):
        if needle not in body:
            fail(f"the dashboard ({resp.url}) does not show {needle!r}", log)
    print(f"first run: signed in as {EMAIL}, {resp.url} answered 200 with the demo workspace")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=int, default=1200,
                    help="seconds to wait for /healthz (install, migrate, demo, metrics)")
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # the log lives outside the checkout: `make run` must create var/ on its own
    log = Path(tempfile.mkdtemp(prefix="mos-first-run-")) / "make-run.log"
    print(f"first run: make run PORT={port} HOST=127.0.0.1 (log: {log})")
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "run", f"PORT={port}", "HOST=127.0.0.1"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + args.timeout
        while True:
            if proc.poll() is not None:
                fail(f"`make run` exited with code {proc.returncode} before serving", log)
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                fail(f"/healthz did not answer within {args.timeout} s", log)
            time.sleep(2)
        print(f"first run: /healthz answered 200 after {args.timeout - int(deadline - time.monotonic())} s")
        check(base, log)
    finally:
        # the whole group: make, runserver and runserver's autoreload child
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    main()
