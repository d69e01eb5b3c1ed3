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
from collections import defaultdict

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


def duplicate_groups(workspace, *, limit: int = 200) -> list[dict]:
    """Groups of contacts that look like one person, most recently created first: each
    {"reason": email|phone|name, "key": …, "contacts": [Contact, …]} (a pair can show under
    several reasons; the strongest — e-mail, then phone, then name — is kept)."""
    rows = (Contact.objects.filter(workspace=workspace).order_by()
            .values_list("id", "name", "email", "phone"))
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for pk, name, email, phone in rows.iterator(chunk_size=5000):
        if k := email_key(email):
            buckets[("email", k)].append(pk)
        if k := phone_key(phone):
            buckets[("phone", k)].append(pk)
        if k := name_key(name):
            buckets[("name", k)].append(pk)
    seen_pairs: set[frozenset] = set()
    groups = []
    order = {"email": 0, "phone": 1, "name": 2}
    for (reason, key), ids in sorted(buckets.items(), key=lambda kv: (order[kv[0][0]],
                                                                      -max(kv[1]))):
        if len(ids) < 2 or len(ids) > 20:  # 20+ sharing a key is a placeholder, not a person
            continue
        pair = frozenset(ids)
        if pair in seen_pairs:
            continue
        seen_pairs.add(pair)
        groups.append({"reason": reason, "key": key, "ids": sorted(ids)})
    groups.sort(key=lambda g: -max(g["ids"]))
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
