"""Provider adapters for channels Django's e-mail backend does not cover. An SMS adapter has
one method, send(to, text); name the class in settings.AUTOMATION_SMS_BACKEND."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

outbox: list[tuple[str, str]] = []  # what OutboxSms "sent", for tests and the demo


class OutboxSms:
    """Keeps messages in memory (like Django's locmem e-mail backend) and logs them."""

    def send(self, to: str, text: str) -> None:
        outbox.append((to, text))
        logger.info("SMS to %s: %s", to, text[:60])
