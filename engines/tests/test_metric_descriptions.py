"""Every registered metric key explains itself: a description a marketer understands, through
gettext, and translated into Arabic (the KPI form's glossary shows it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.functional import Promise

from engines.metrics.registry import FAMILIES, REGISTRY, metric_groups


@pytest.fixture
def arabic_pending(settings, tmp_path):
    """The Arabic catalogue with this branch's pending texts compiled in (until the integrator
    merges locale/ar/pending/text.po into the main catalogue)."""
    pending = Path(settings.BASE_DIR) / "locale" / "ar" / "pending" / "text.po"
    if not pending.exists() or shutil.which("msgfmt") is None:
        return
    out = tmp_path / "locale" / "ar" / "LC_MESSAGES"
    out.mkdir(parents=True)
    subprocess.run(["msgfmt", "-o", str(out / "django.mo"), str(pending)], check=True)
    settings.LOCALE_PATHS = [str(tmp_path / "locale"), *settings.LOCALE_PATHS]


def test_every_registered_metric_has_a_description():
    missing = [k for k, d in REGISTRY.items() if not str(d.description).strip()]
    assert missing == []
    # through gettext_lazy, as the labels are, so the glossary reads in the reader's language
    plain = [k for k, d in REGISTRY.items() if not isinstance(d.description, Promise)]
    assert plain == []
    for d in REGISTRY.values():
        text = str(d.description)
        assert text[0].isupper() and text.endswith("."), d.key
        assert len(text) <= 300, d.key  # one or two sentences


def test_every_family_has_a_heading():
    assert {g["family"] for g in metric_groups()} <= set(FAMILIES)


def test_every_description_is_translated_into_arabic(arabic_pending):
    with translation.override("en"):
        english = {k: str(d.description) for k, d in REGISTRY.items()}
    with translation.override("ar"):
        untranslated = sorted({english[k] for k, d in REGISTRY.items()
                               if str(d.description) == english[k]})
    assert untranslated == []
