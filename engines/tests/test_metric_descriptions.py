"""Every registered metric key explains itself: a description a marketer understands, through
gettext, and translated into Arabic (the KPI form's glossary shows it)."""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise

from engines.metrics.registry import FAMILIES, REGISTRY, metric_groups


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


def test_every_description_is_translated_into_arabic():
    with translation.override("en"):
        english = {k: str(d.description) for k, d in REGISTRY.items()}
    with translation.override("ar"):
        untranslated = sorted({english[k] for k, d in REGISTRY.items()
                               if str(d.description) == english[k]})
    assert untranslated == []
