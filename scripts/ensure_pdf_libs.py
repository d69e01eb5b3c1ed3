"""Make sure the system libraries WeasyPrint needs (Pango, HarfBuzz) are there, plus
poppler-utils (pdftoppm/pdftotext) the PDF tests use to look at pages. Installs them with apt
when we are root; otherwise says what is missing.

`make test` runs this; the Dockerfile installs the same runtime packages."""

import ctypes.util
import os
import shutil
import subprocess
import sys

RUNTIME = ["libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"]
TEST_TOOLS = ["poppler-utils"]


def missing() -> list[str]:
    out = []
    if not ctypes.util.find_library("pango-1.0") or not ctypes.util.find_library("pangoft2-1.0"):
        out += RUNTIME
    if not shutil.which("pdftoppm"):
        out += TEST_TOOLS
    return out


need = missing()
if not need:
    sys.exit(0)
if os.geteuid() == 0 and shutil.which("apt-get"):
    print(f"Installing {' '.join(need)} for PDF export…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    r = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *need],
                       env=env)
    if r.returncode == 0 and not missing():
        sys.exit(0)
print(f"Missing for PDF export/tests: {' '.join(missing())}", file=sys.stderr)
sys.exit(1 if os.environ.get("MOS_REQUIRE_PDF") == "1" else 0)
