"""Alerts and digests (issue 15): notify a member in the app and by e-mail, as they chose.

Apps above mos push alerts: `register_alert_source(fn)` in their AppConfig.ready(), where
fn(workspace) returns the Alerts of conditions true now (a guardrail breach, a KPI far off its
pace, an SRM in a running experiment…). engines calls `evaluate_alerts(workspace)` after each
nightly metrics run, so every source is checked once the night's numbers are in. An alert's
dedupe_key makes a condition notify a member once (the next night's evaluation of the same
breach in the same period sends nothing more)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from .models import Membership, Notification, NotificationKind, NotificationPreference, Workspace

logger = logging.getLogger(__name__)


@dataclass
class Alert:
    """One condition to tell `users` about. `text()` returns (title, body) and is called in
    each recipient's language."""

    kind: str
    users: list
    dedupe_key: str
    text: Callable[[], tuple[str, str]]
    url: str = ""
    extra: dict = field(default_factory=dict)


ALERT_SOURCES: list[Callable[[Workspace], list[Alert]]] = []
RUN_FINISHED: list[Callable] = []  # fn(metric run), called when a nightly run ends


def register_alert_source(fn: Callable[[Workspace], list[Alert]]) -> None:
    """Called from an app's ready(): fn(workspace) → the alerts of conditions true now."""
    if fn not in ALERT_SOURCES:
        ALERT_SOURCES.append(fn)


def register_run_finished(fn: Callable) -> None:
    """Called from engines' ready(): fn(run) when a nightly metrics run ends."""
    if fn not in RUN_FINISHED:
        RUN_FINISHED.append(fn)


def metric_run_finished(run) -> None:
    """The metrics pipeline calls this when a nightly run ends (succeeded or failed)."""
    for fn in RUN_FINISHED:
        fn(run)


# --- preferences -----------------------------------------------------------------------------

def preferences(workspace, user) -> dict[str, dict[str, bool]]:
    """{kind: {"in_app": bool, "email": bool}} for every kind (no row: both on)."""
    rows = {p.kind: p for p in NotificationPreference.objects.filter(workspace=workspace,
                                                                     user=user)}
    return {k: {"in_app": rows[k].in_app if k in rows else True,
                "email": rows[k].email if k in rows else True}
            for k in NotificationKind.values}


@transaction.atomic
def preferences_update(*, workspace, user, prefs: dict[str, dict[str, bool]]) -> None:
    """Store a member's choices; unknown kinds are ignored."""
    for kind, p in prefs.items():
        if kind not in NotificationKind.values:
            continue
        NotificationPreference.objects.update_or_create(
            workspace=workspace, user=user, kind=kind,
            defaults={"in_app": bool(p.get("in_app")), "email": bool(p.get("email"))})


# --- sending ---------------------------------------------------------------------------------

def _language(user) -> str:
    return user.language or settings.LANGUAGE_CODE


def notify(*, workspace, user, kind: str, dedupe_key: str, text: Callable[[], tuple[str, str]],
           url: str = "", prefs: dict | None = None,
           send_email: bool = True) -> Notification | None:
    """Tell one member, in the app and/or by e-mail as they chose; None when they already
    were told (same dedupe_key) or want neither."""
    prefs = prefs or preferences(workspace, user)
    want = prefs.get(kind, {"in_app": True, "email": True})
    if not (want["in_app"] or want["email"]):
        return None
    if dedupe_key and Notification.objects.filter(workspace=workspace, user=user,
                                                  dedupe_key=dedupe_key).exists():
        return None
    with translation.override(_language(user)):
        title, body = text()
    title, body = str(title)[:200], str(body)
    try:
        with transaction.atomic():
            n = Notification.objects.create(workspace=workspace, user=user, kind=kind,
                                            title=title, body=body, url=url[:300],
                                            dedupe_key=dedupe_key[:200],
                                            shown=want["in_app"])
    except IntegrityError:  # a concurrent evaluation told them first
        return None
    if send_email and want["email"] and user.email:
        link = f"{settings.SITE_URL.rstrip('/')}{url}" if url else ""
        try:
            send_mail(f"[MOS · {workspace.name}] {title}", body + (f"\n\n{link}" if link else ""),
                      None, [user.email])
        except Exception:  # noqa: BLE001 — the in-app alert stands; the mail server is down
            logger.exception("alert e-mail to user %s failed", user.pk)
        else:
            Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
    return n


def members_with(workspace, roles) -> list:
    """The workspace's members holding one of `roles` (the people told when no one owns the
    thing that broke)."""
    return [m.user for m in Membership.objects.filter(workspace=workspace, role__in=roles)
            .select_related("user")]


def evaluate_alerts(workspace, *, send_email: bool = True) -> int:
    """Run every registered source for the workspace and notify; returns alerts sent. A
    failing source is logged and skipped (one broken check must not silence the others).
    send_email=False: in the app only (the demo workspace's seeding)."""
    sent = 0
    prefs_cache: dict[int, dict] = {}
    for source in ALERT_SOURCES:
        try:
            alerts = source(workspace)
        except Exception:  # noqa: BLE001
            logger.exception("alert source %s failed for workspace %s", source, workspace.pk)
            continue
        for a in alerts:
            for user in {u.pk: u for u in a.users if u is not None}.values():
                if user.pk not in prefs_cache:
                    prefs_cache[user.pk] = preferences(workspace, user)
                if notify(workspace=workspace, user=user, kind=a.kind, dedupe_key=a.dedupe_key,
                          text=a.text, url=a.url, prefs=prefs_cache[user.pk],
                          send_email=send_email):
                    sent += 1
    return sent


# --- reading and marking ---------------------------------------------------------------------

def notification_list(workspace, user) -> QuerySet:
    return Notification.objects.filter(workspace=workspace, user=user, shown=True)


def unread_count(workspace, user) -> int:
    return notification_list(workspace, user).filter(read_at__isnull=True).count()


def mark_read(*, workspace, user, codes=None) -> int:
    """Mark the member's notifications read (all of them, or those codes)."""
    qs = notification_list(workspace, user).filter(read_at__isnull=True)
    if codes is not None:
        qs = qs.filter(code__in=codes)
    return qs.update(read_at=timezone.now())
