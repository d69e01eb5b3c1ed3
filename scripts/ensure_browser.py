"""Make sure Debian's Chromium is there for the browser tests (installs it when we are root).

The browser tests skip when no Chromium can be had, unless MOS_REQUIRE_BROWSER=1 (CI),
where a missing browser is a failure."""

import os
import shutil
import subprocess
import sys

CHROMIUM = os.environ.get("MOS_CHROMIUM", "/usr/bin/chromium")
PACKAGES = ["chromium", "fonts-dejavu-core", "fonts-noto-core"]

if os.path.exists(CHROMIUM):
    sys.exit(0)
if os.geteuid() == 0 and shutil.which("apt-get"):
    print("Installing Debian's chromium for the browser tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        *PACKAGES], env=env)
    if r.returncode == 0 and os.path.exists(CHROMIUM):
        sys.exit(0)
msg = f"No Chromium at {CHROMIUM}: browser tests will be skipped."
if os.environ.get("MOS_REQUIRE_BROWSER") == "1":
    print(msg + " MOS_REQUIRE_BROWSER=1, so this is an error.", file=sys.stderr)
    sys.exit(1)
print(msg, file=sys.stderr)
