"""Likely duplicate contacts: a shared e-mail (ignoring case, +tags and Gmail dots), a shared
phone number (its last nine digits, so +966 50… and 050… meet) or the same name written in
Arabic or Latin script. Names are reduced to a consonant skeleton: Arabic diacritics and
tatweel dropped, alef/hamza/ta marbuta/alef maqsura forms unified, Arabic letters mapped to
their usual Latin transliteration, vowels and weak letters dropped, doubled letters collapsed,
words sorted — so "Mohammed Al-Harbi", "محمد الحربي" and "Muhammad Alharbi" share "hrb mhmd"
… close enough to propose, never to merge on its own: a person confirms each merge, which
keeps everything (crm.services.contacts_merge)."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from .models import Contact

_AR_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_AR_UNIFY = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ئ": "ي",
                           "ؤ": "و", "ة": "ه", "ء": ""})
# Arabic letter → Latin as usually transliterated; vowels/weak letters map to "" (dropped)
_AR_LATIN = {"ا": "", "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "kh", "د": "d",
             "ذ": "z", "ر": "r", "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t",
             "ظ": "z", "ع": "", "غ": "gh", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m",
             "ن": "n", "ه": "h", "و": "", "ي": "", "پ": "p", "گ": "g", "چ": "ch", "ڤ": "v"}
# Latin digraphs and letters folded the same way (th → t, dh → z, q → k, c → k, x → ks…)
_LATIN_FOLD = [("th", "t"), ("dh", "z"), ("ph", "f"), ("ou", "u"), ("ck", "k"), ("q", "k"),
               ("c", "k"), ("x", "ks"), ("e", ""), ("a", ""), ("i", ""), ("o", ""), ("u", ""),
               ("y", ""), ("w", ""), ("'", ""), ("`", ""), ("’", "")]
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_DOUBLE = re.compile(r"(.)\1+")


def normalise_arabic(text: str) -> str:
    """Arabic without diacritics and tatweel, with one form of alef, ya, waw and ha."""
    return _AR_DIACRITICS.sub("", text).translate(_AR_UNIFY)


def _word_skeleton(word: str) -> str:
    if any("\u0600" <= ch <= "\u06ff" for ch in word):
        word = "".join(_AR_LATIN.get(ch, ch) for ch in normalise_arabic(word))
    else:
        word = unicodedata.normalize("NFKD", word.lower())
        word = "".join(ch for ch in word if not unicodedata.combining(ch))
        # "h" between a consonant and the end stays (Ahmed → hmd); a leading "al-" joins
        for a, b in _LATIN_FOLD:
            word = word.replace(a, b)
    return _DOUBLE.sub(r"\1", word)


def name_key(name: str) -> str:
    """The name's script-insensitive skeleton; '' when too short to mean anything."""
    # the article: "Al Harbi", "Al-Harbi", "Alharbi" and "الحربي" all become "hrb"
    words = [w for w in _WORD.findall(normalise_arabic(name or ""))
             if w.lower() not in ("al", "el")]
    words = [_word_skeleton(w) for w in words]
    words = [w[1:] if w.startswith("l") and len(w) >= 4 else w for w in words if w]
    key = " ".join(sorted(words))
    return key if len(key.replace(" ", "")) >= 3 and len(words) >= 2 else ""


def email_key(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email:
        return ""
    local, _at, domain = email.partition("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-9:] if len(digits) >= 8 else ""


REASONS = {"email": _("Same e-mail"), "phone": _("Same phone number"),
           "name": _("Same name (Arabic or Latin)")}


# The keys are computed and grouped by the database: on PostgreSQL by the SQL twins of the
# functions above (crm migration 0024), on SQLite by these Python functions registered on the
# connection under the same names. One scan of the workspace's contacts feeds all three
# groupings; only the first `fetch` groups (newest member first) leave the database.
_SQL_FUNCTIONS = {"mos_dup_email_key": email_key, "mos_dup_phone_key": phone_key,
                  "mos_dup_name_key": name_key}
_GROUPS_SQL = """
WITH c AS MATERIALIZED (
  SELECT id, name, email, phone FROM crm_contact WHERE workspace_id = %(ws)s
), names AS (  -- the name key is the costly one: computed once per distinct spelling
  SELECT name, mos_dup_name_key(name) AS n FROM (SELECT DISTINCT name FROM c) d
), k AS MATERIALIZED (
  SELECT c.id, mos_dup_email_key(c.email) AS e, mos_dup_phone_key(c.phone) AS p, names.n
  FROM c JOIN names ON names.name = c.name
)
SELECT 0 AS r, e AS key, MAX(id) AS top, {agg} AS ids FROM k WHERE e <> ''
  GROUP BY e HAVING COUNT(*) BETWEEN 2 AND 20
UNION ALL
SELECT 1, p, MAX(id), {agg} FROM k WHERE p <> '' GROUP BY p HAVING COUNT(*) BETWEEN 2 AND 20
UNION ALL
SELECT 2, n, MAX(id), {agg} FROM k WHERE n <> '' GROUP BY n HAVING COUNT(*) BETWEEN 2 AND 20
ORDER BY top DESC, r
LIMIT %(fetch)s
"""
_REASON_ORDER = ("email", "phone", "name")


def _sqlite_functions(connection) -> None:
    connection.ensure_connection()
    for fname, func in _SQL_FUNCTIONS.items():
        connection.connection.create_function(fname, 1, func, deterministic=True)


def _group_rows(workspace, fetch: int) -> list[tuple]:
    from django.db import connection

    if connection.vendor == "sqlite":
        _sqlite_functions(connection)
        agg = "GROUP_CONCAT(id)"
    else:
        agg = "STRING_AGG(id::text, ',')"
    with connection.cursor() as cur:
        cur.execute(_GROUPS_SQL.format(agg=agg), {"ws": workspace.pk, "fetch": fetch})
        return cur.fetchall()


def duplicate_groups(workspace, *, limit: int = 200) -> list[dict]:
    """Groups of contacts that look like one person, most recently created first: each
    {"reason": email|phone|name, "key": …, "contacts": [Contact, …]} (a pair can show under
    several reasons; the strongest — e-mail, then phone, then name — is kept). A key shared by
    more than 20 contacts is a placeholder, not a person, and proposes nothing."""
    # Rows come newest member first and, for one newest member, strongest reason first; a
    # group whose members are exactly those of a stronger one has the same newest member, so
    # it comes right after it and is dropped here. Were so many dropped that fewer than
    # `limit` are left from a full fetch, fetch more.
    fetch = limit * 2 + 10
    while True:
        rows = _group_rows(workspace, fetch)
        seen: set[tuple] = set()
        groups = []
        for r, key, _top, ids in rows:
            members = tuple(sorted(int(i) for i in str(ids).split(",")))
            if members in seen:
                continue
            seen.add(members)
            groups.append({"reason": _REASON_ORDER[r], "key": key, "ids": list(members)})
        if len(groups) >= limit or len(rows) < fetch:
            break
        fetch *= 4
    groups = groups[:limit]
    contacts = Contact.objects.filter(workspace=workspace).select_related(
        "account", "owner").in_bulk([i for g in groups for i in g["ids"]])
    out = []
    for g in groups:
        members = [contacts[i] for i in g["ids"] if i in contacts]
        if len(members) >= 2:
            out.append({"reason": g["reason"], "label": REASONS[g["reason"]], "key": g["key"],
                        "contacts": members})
    return out
