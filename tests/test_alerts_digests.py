"""Alerts and digests: guardrail breach, KPI off pace, failed nightly run and SRM notify the
owner in the app and by e-mail (locmem outbox), once; the weekly digest goes once per member
and week; each member chooses what they get; pages and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from engines import alerts, digest
from engines import services as engine_services
from engines.models import KPI, MetricRun, MetricValue
from mos import notifications as notes
from mos.models import DigestSent, Notification
from mos.roles import Role

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 16)  # day 16 of a 31-day month


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(alerts, "workspace_today", lambda ws: TODAY)
    monkeypatch.setattr(digest, "workspace_today", lambda ws: TODAY)


@pytest.fixture
def mona(add_member):
    return add_member(Role.MARKETER, "mona@acme.test")


@pytest.fixture
def leads_kpi(owner_actor, workspace, mona):
    engine = engine_services.engine_create(actor=owner_actor, name="Content engine", owner=mona,
                                           weekly_commitment="+5 % sign-ups a week")
    kpi = engine_services.kpi_create(actor=owner_actor, name="New leads", metric_key="leads",
                                     grain="month", direction="up", target=Decimal("100"),
                                     guardrail_min=Decimal("60"), engine=engine)
    MetricValue.objects.create(workspace=workspace, key="leads", grain="month",
                               period=dt.date(2026, 3, 1), value=30)
    return kpi


def _nightly(workspace, status="succeeded", error=""):
    return MetricRun.objects.create(workspace=workspace, trigger="nightly", status=status,
                                    error=error)


def test_pace_by_hand():
    kpi = KPI(metric_key="leads", grain="month", direction="up")
    row = {"kpi": kpi, "actual": 30.0, "target": 100.0, "period": dt.date(2026, 3, 1)}
    # 16 of 31 days: 100 × 16/31 = 51.61 expected → 30 / 51.61 = 0.581
    assert alerts.kpi_pace(row, TODAY) == pytest.approx(30 / (100 * 16 / 31))
    assert alerts.kpi_pace(row, dt.date(2026, 3, 5)) is None  # too early to judge (5 < 7.75)
    ratio = KPI(metric_key="ctr", grain="month", direction="up")
    assert alerts.kpi_pace({**row, "kpi": ratio, "actual": 0.02, "target": 0.04},
                           TODAY) == pytest.approx(0.5)  # a ratio is not pro-rated
    cost = KPI(metric_key="cpl", grain="month", direction="down")
    assert alerts.kpi_pace({**row, "kpi": cost, "actual": 80.0, "target": 40.0},
                           TODAY) == pytest.approx(0.5)  # lower is better: target / actual


def test_nightly_run_notifies_the_engine_owner_once_in_app_and_by_mail(workspace, leads_kpi,
                                                                      mona, owner):
    sent = alerts.after_nightly_run(_nightly(workspace))
    assert sent == 2
    got = {n.kind: n for n in Notification.objects.filter(user=mona)}
    assert set(got) == {"guardrail_breach", "kpi_off_pace"}
    assert "30" in got["guardrail_breach"].body and "at least 60" in got["guardrail_breach"].body
    assert "58%" in got["kpi_off_pace"].body
    assert not Notification.objects.filter(user=owner).exists()  # the engine has an owner
    assert sorted(m.subject for m in mail.outbox) == [
        "[MOS · Acme] Guardrail broken: New leads", "[MOS · Acme] Off pace: New leads"]
    assert mail.outbox[0].to == ["mona@acme.test"]
    # the next night: same breach, same period → nothing new
    assert alerts.after_nightly_run(_nightly(workspace)) == 0
    assert len(mail.outbox) == 2


def test_member_choices_in_app_only_email_only_or_nothing(workspace, leads_kpi, mona):
    notes.preferences_update(workspace=workspace, user=mona, prefs={
        "guardrail_breach": {"in_app": True, "email": False},
        "kpi_off_pace": {"in_app": False, "email": False}})
    alerts.after_nightly_run(_nightly(workspace))
    assert [n.kind for n in notes.notification_list(workspace, mona)] == ["guardrail_breach"]
    assert mail.outbox == []


def test_each_member_is_told_in_their_language(workspace, mona, owner):
    from django.utils import translation

    mona.language = "ar"
    mona.save()
    for user in (mona, owner):
        notes.notify(workspace=workspace, user=user, kind="run_failed", dedupe_key="lang",
                     text=lambda: (translation.get_language(), ""))
    assert Notification.objects.get(user=mona).title == "ar"
    assert Notification.objects.get(user=owner).title == "en"


def test_failed_nightly_run_tells_the_admins(workspace, owner, mona):
    run = _nightly(workspace, status="failed", error="Currency missing.")
    assert alerts.after_nightly_run(run) == 1
    n = Notification.objects.get(user=owner)
    assert n.kind == "run_failed" and "Currency missing." in n.body
    assert n.url == f"/w/{workspace.slug}/metrics/runs/{run.code}/"
    assert mail.outbox[0].to == ["owner@acme.test"]
    assert not Notification.objects.filter(user=mona).exists()


def test_manual_runs_raise_no_alerts(workspace, leads_kpi, monkeypatch):
    from engines.metrics import pipeline

    run = MetricRun.objects.create(workspace=workspace, trigger="manual")
    monkeypatch.setattr(pipeline, "compute_workspace", lambda run, **kw: run)
    pipeline.claim_and_compute(run.pk)
    assert not Notification.objects.exists()


def test_nightly_claim_evaluates_alerts(workspace, leads_kpi, monkeypatch, mona):
    from engines.metrics import pipeline

    run = MetricRun.objects.create(workspace=workspace, trigger="nightly")

    def fake(run, **kw):
        run.status = MetricRun.Status.SUCCEEDED
        return run
    monkeypatch.setattr(pipeline, "compute_workspace", fake)
    pipeline.claim_and_compute(run.pk)
    assert Notification.objects.filter(user=mona).count() == 2


def test_weekly_digest_once_per_member_and_week(workspace, leads_kpi, mona, owner, add_member):
    viewer = add_member(Role.VIEWER)
    rep = add_member(Role.SALES_REP)  # cannot read metrics: no digest
    assert digest.send_weekly_digests(workspace) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [mona.email, owner.email, viewer.email])
    body = next(m.body for m in mail.outbox if m.to == [mona.email])
    assert "Content engine" in body and "New leads: 30 / target 100" in body
    assert "GUARDRAIL BROKEN" in body and "+5 % sign-ups a week" in body
    assert "2026-03-09" in mail.outbox[0].subject  # the last full week, Mon 9 – Sun 15 March
    assert DigestSent.objects.filter(week=dt.date(2026, 3, 9)).count() == 3
    assert digest.send_weekly_digests(workspace) == 0  # a second beat: nothing
    assert len(mail.outbox) == 3
    assert not DigestSent.objects.filter(user=rep).exists()


def test_digest_can_be_turned_off(workspace, leads_kpi, mona):
    notes.preferences_update(workspace=workspace, user=mona, prefs={
        "weekly_digest": {"in_app": False, "email": False}})
    digest.send_weekly_digests(workspace)
    assert mona.email not in [m.to[0] for m in mail.outbox]


# --- pages and API -----------------------------------------------------------------------------

def test_bell_badge_list_mark_read_and_settings(workspace, leads_kpi, mona, client_for,
                                                outsider_client):
    alerts.after_nightly_run(_nightly(workspace))
    c = client_for(mona)
    base = f"/w/{workspace.slug}/notifications/"
    assert ">2<" in c.get(base + "badge/").content.decode()
    html = c.get(base).content.decode()
    assert "Guardrail broken: New leads" in html and "Mark all read" in html
    n = Notification.objects.filter(user=mona).first()
    r = c.post(base + "read/", {"code": str(n.code), "next": n.url})
    assert r.status_code == 302 and r["Location"] == n.url
    assert ">1<" in c.get(base + "badge/").content.decode()
    c.post(base + "read/")
    assert "has-unread" not in c.get(base + "badge/").content.decode()
    r = c.post(base + "settings/", {"guardrail_breach-in_app": "1"})
    assert r.status_code == 302
    prefs = notes.preferences(workspace, mona)
    assert prefs["guardrail_breach"] == {"in_app": True, "email": False}
    assert prefs["kpi_off_pace"] == {"in_app": False, "email": False}
    assert outsider_client.get(base).status_code == 404
    assert outsider_client.get(base + "badge/").status_code == 404


def test_api_notifications_and_preferences(workspace, leads_kpi, mona, api, outsider_api):
    from rest_framework.test import APIClient

    alerts.after_nightly_run(_nightly(workspace))
    c = APIClient()
    c.force_login(mona)
    rows = c.get("/api/v1/notifications/?unread=1").json()["results"]
    assert len(rows) == 2
    r = c.post("/api/v1/notifications/read/", {"codes": [rows[0]["code"]]}, format="json")
    assert r.json() == {"marked": 1}
    assert len(c.get("/api/v1/notifications/?unread=1").json()["results"]) == 1
    assert c.post("/api/v1/notifications/read/", {"codes": ["x"]},
                  format="json").status_code == 400
    prefs = c.get("/api/v1/notification-preferences").json()
    assert {p["kind"] for p in prefs} >= {"guardrail_breach", "weekly_digest"}
    r = c.put("/api/v1/notification-preferences", [
        {"kind": "weekly_digest", "in_app": False, "email": True}], format="json")
    assert {p["kind"]: p for p in r.json()}["weekly_digest"]["in_app"] is False
    assert c.put("/api/v1/notification-preferences", [{"kind": "nope", "in_app": 1}],
                 format="json").status_code == 400
    # a key is not a person; another workspace's key sees none of it
    assert api.get("/api/v1/notifications/").status_code == 400
    assert outsider_api.get(f"/api/v1/notifications/{rows[0]['code']}/").status_code in (400,
                                                                                          404)
