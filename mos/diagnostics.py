"""Answers to the plan's diagnostic questions (seed 000) that only an app beside or above
planning can give: it registers them in its AppConfig.ready() (reports answers "do you publish
a monthly report?"), planning reads them here without importing that app (DESIGN §2: a lower
app reaches a higher one only through a registry)."""

from __future__ import annotations

from collections.abc import Callable

# question key (planning.selectors_plans.DIAGNOSTICS) -> fn(workspace) -> str | None: what MOS
# knows of the answer, in the reader's language, or None when it knows nothing
ANSWERS: dict[str, Callable] = {}


def register_answer(key: str, fn: Callable) -> None:
    ANSWERS[key] = fn


def answers(workspace) -> dict[str, str]:
    """{question key: what MOS knows} for every registered question with something to say."""
    out = {}
    for key, fn in ANSWERS.items():
        if text := fn(workspace):
            out[key] = text
    return out
