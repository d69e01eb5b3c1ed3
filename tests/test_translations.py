"""The Arabic catalogue is complete and compiled: every message in locale/ar/…/django.po has a
translation (none empty, none fuzzy), and the committed django.mo carries each of them — so a
string added without `make messages` + a translation fails here, not in front of a user."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "ar" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries():
    """(msgctxt, msgid, [msgstr…], flags) per entry of the .po file (a small parser)."""
    entries, cur, field = [], None, None

    def flush():
        if cur and cur["msgid"] is not None:
            entries.append(cur)

    for line in PO.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            cur, field = None, None
            continue
        if cur is None:
            cur = {"ctx": None, "msgid": None, "strs": {}, "flags": "", "obsolete": False}
        if line.startswith("#~"):
            cur["obsolete"] = True
            continue
        if line.startswith("#,"):
            cur["flags"] += line
            continue
        if line.startswith("#"):
            continue
        head, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            field, value = head, ast.literal_eval(rest)
        if field == "msgctxt":
            cur["ctx"] = (cur["ctx"] or "") + value
        elif field == "msgid":
            cur["msgid"] = (cur["msgid"] or "") + value
        elif field.startswith("msgstr"):
            cur["strs"][field] = cur["strs"].get(field, "") + value
    return [e for e in entries if e["msgid"] and not e["obsolete"]]


def test_every_arabic_message_is_translated():
    entries = _entries()
    assert len(entries) > 500  # the catalogue really is the project's
    missing = [e["msgid"] for e in entries if not all(e["strs"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert missing == [] and fuzzy == []


def test_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    keys = {k if isinstance(k, str) else k[0] for k in catalog}
    stale = [e["msgid"] for e in _entries()
             if (e["msgid"] if e["ctx"] is None else f"{e['ctx']}\x04{e['msgid']}") not in keys]
    assert stale == [], "run `make messages` (compilemessages) and commit django.mo"
