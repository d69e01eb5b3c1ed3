"""Messages stored for later (an import's per-row errors) are kept in English — the msgid with
its parameters filled in — and shown in the reader's language: `localise` finds the msgid
again (exactly, or as a template whose %(name)s parts it reads back) in the active catalogue.
So an import run while one person used Arabic reads in English for the next, and back."""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import trans_real

_PARAM = re.compile(r"%\((\w+)\)([sd])")


@lru_cache(maxsize=8)
def _templates(lang: str) -> tuple:
    """(regex, msgid, {name: 'd'|'s'}) for the catalogue's msgids with named parameters, most
    literal text first (a template that is mostly parameters would match anything)."""
    out = []
    for msgid in trans_real.translation(lang)._catalog.keys():
        if not isinstance(msgid, str) or "%(" not in msgid:
            continue
        literal = _PARAM.sub("", msgid)
        if len(literal.strip()) < 8:
            continue
        pattern, specs, pos = "", {}, 0
        for m in _PARAM.finditer(msgid):
            pattern += re.escape(msgid[pos:m.start()])
            name, spec = m.groups()
            pattern += f"(?P={name})" if name in specs else (
                f"(?P<{name}>-?\\d+)" if spec == "d" else f"(?P<{name}>.+?)")
            specs[name] = spec
            pos = m.end()
        pattern += re.escape(msgid[pos:])
        try:
            out.append((re.compile(pattern, re.S), msgid, specs, len(literal)))
        except re.error:
            continue
    out.sort(key=lambda t: -t[3])
    return tuple(t[:3] for t in out)


def localise(text: str) -> str:
    """`text`, stored in English, in the active language (unchanged when no catalogue entry
    matches: then it was not a MOS message)."""
    lang = translation.get_language() or "en"
    if not text or lang.split("-")[0] == "en":
        return text
    found = gettext(text)
    if found != text:
        return found
    for rx, msgid, specs in _templates(lang):
        m = rx.fullmatch(text)
        if m:
            params = {k: int(v) if specs[k] == "d" else v for k, v in m.groupdict().items()}
            try:
                return gettext(msgid) % params
            except (KeyError, TypeError, ValueError):
                return text
    return text
