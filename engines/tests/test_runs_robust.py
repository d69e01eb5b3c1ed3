"""Issue 8 items 2 and 3, issue 11 §1: a bad row, a bad setting, a killed worker or a broker
outage never blocks a workspace's metrics; as_of and backfills."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone as dt_tz
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from kombu.exceptions import OperationalError

from crm.models import Contact, Order
from engines.metrics import clv, pipeline
from engines.metrics.tasks import compute_workspace_task
from engines.models import MetricRun, MetricValue
from engines.services import metric_run_start, metric_runs_resend_lost
from mos.models import Workspace

from .test_pipeline import AS_OF, run_for, tiny  # noqa: F401  (fixture)

LONG_AGO = timezone.now() - timedelta(minutes=10)


def _stuck_run(ws, **kw) -> MetricRun:
    """A run left `running` by a worker killed with -9: its heartbeat stopped 10 minutes ago."""
    return MetricRun.objects.create(workspace=ws, trigger="manual", status="running",
                                    heartbeat_at=LONG_AGO, started_at=LONG_AGO,
                                    created_at=LONG_AGO, **kw)


# --- item 2: bad stored rows and settings --------------------------------------------------------

def test_a_stored_year_one_order_is_skipped_and_reported_not_a_failed_run(tiny, owner_client):
    a = Contact.objects.get(workspace=tiny, name="A")
    Order.objects.create(workspace=tiny, contact=a, amount=Decimal("5"), currency="USD",
                         occurred_at=datetime(1, 1, 1, tzinfo=dt_tz.utc))
    run = run_for(tiny)
    assert run.status == "succeeded", run.error_detail
    assert run.skipped == {"orders": 1}
    page = owner_client.get(f"/w/{tiny.slug}/data-quality/")
    assert page.status_code == 200
    assert "Rows left out of the metrics" in page.content.decode()


@pytest.mark.parametrize("field,value,words", [("timezone", "Mars/Phobos", "time zone"),
                                                ("currency", "XYZ", "currency")])
def test_an_unusable_setting_fails_the_run_clearly(tiny, field, value, words):
    Workspace.objects.filter(pk=tiny.pk).update(**{field: value})
    tiny.refresh_from_db()
    run = metric_run_start(workspace=tiny, trigger="manual")
    assert run.status == "failed" and run.finished_at is not None
    assert value in run.error and words in run.error
    assert metric_run_start(workspace=tiny, trigger="manual").pk != run.pk  # nothing stuck


@pytest.mark.parametrize("body", [{"timezone": "Mars/Phobos"}, {"currency": "dollars"},
                                  {"currency": "ABC"}])
def test_workspace_settings_api_refuses_unknown_zone_and_currency(owner_client, workspace, body):
    import json

    r = owner_client.patch("/api/v1/workspace", json.dumps(body),
                           content_type="application/json")
    assert r.status_code == 400, r.content
    assert list(r.json()["error"]["fields"]) == list(body)
    workspace.refresh_from_db()
    assert (workspace.timezone, workspace.currency) == ("UTC", "USD")


def test_workspace_settings_form_refuses_unknown_zone(owner_client, workspace):
    from mos.forms import WorkspaceSettingsForm

    data = {"name": "Acme", "currency": "dollars", "timezone": "Mars/Phobos",
            "business": "transactional", "default_margin": "0.5", "activity_window_days": 90,
            "attribution_model": workspace.attribution_model, "attribution_lookback_days": 30}
    form = WorkspaceSettingsForm(data, instance=workspace)
    assert not form.is_valid()
    assert set(form.errors) == {"currency", "timezone"}


# --- item 3: leases, takeover, broker outage, sweep ------------------------------------------

def test_a_redelivered_task_takes_over_a_run_whose_worker_died(tiny):
    run = _stuck_run(tiny, as_of=AS_OF)
    assert run.interrupted
    compute_workspace_task.apply(args=(run.pk,))
    run.refresh_from_db()
    assert run.status == "succeeded" and run.attempts == 1
    assert MetricValue.objects.filter(workspace=tiny).exists()


def test_a_run_with_a_live_lease_is_not_taken_over(tiny):
    run = MetricRun.objects.create(workspace=tiny, trigger="manual", status="running",
                                   heartbeat_at=timezone.now())
    assert pipeline.claim_and_compute(run.pk) is None
    run.refresh_from_db()
    assert run.status == "running" and not run.interrupted


def test_a_worker_that_lost_its_lease_stops(tiny):
    run = MetricRun.objects.create(workspace=tiny, trigger="manual", as_of=AS_OF)
    real_step = pipeline._step

    def takeover(run_, name, *a, **kw):
        if name == "funnel":  # another worker took the run over meanwhile
            MetricRun.objects.filter(pk=run_.pk).update(lease_token=None)
        return real_step(run_, name, *a, **kw)

    pipeline._step = takeover
    try:
        pipeline.claim_and_compute(run.pk)
    finally:
        pipeline._step = real_step
    run.refresh_from_db()
    assert run.status == "running" and run.step == "acquisition"  # stopped, wrote nothing
    assert not MetricValue.objects.filter(workspace=tiny).exists()


def test_api_post_replaces_a_stuck_run(api, tiny):
    stuck = _stuck_run(tiny)
    r = api.post("/api/v1/metric-runs/", {}, format="json")
    assert r.status_code == 202
    assert r.json()["code"] != str(stuck.code)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "Interrupted" in stuck.error


@pytest.mark.django_db(transaction=True)  # the task is sent on commit, as in production
def test_broker_down_recompute_answers_a_message_and_blocks_nothing(owner_client, tiny,
                                                                    settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def down(*a, **kw):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    monkeypatch.setattr(compute_workspace_task, "apply_async", down)
    r = owner_client.post(f"/w/{tiny.slug}/metrics/recompute/")
    assert r.status_code == 200
    assert "task queue could not be reached" in r.content.decode()
    run = MetricRun.objects.get(workspace=tiny)
    assert run.status == "failed"
    sent = []
    monkeypatch.setattr(compute_workspace_task, "apply_async", lambda args: sent.append(args))
    again = metric_run_start(workspace=tiny, trigger="manual")
    assert again.pk != run.pk and again.status == "pending" and sent == [(again.pk,)]
    assert "Recompute now" in r.content.decode()  # the button is back, no spinner


def test_sweep_resends_pending_runs_never_sent_and_runs_of_dead_workers(tiny, monkeypatch):
    never_sent = MetricRun.objects.create(workspace=tiny, trigger="nightly", created_at=LONG_AGO)
    dead = _stuck_run(tiny)
    fresh = MetricRun.objects.create(workspace=tiny, trigger="manual")
    sent = []
    monkeypatch.setattr(compute_workspace_task, "apply_async", lambda args: sent.append(args[0]))
    assert sorted(metric_runs_resend_lost()) == sorted([never_sent.pk, dead.pk])
    assert sorted(sent) == sorted([never_sent.pk, dead.pk]) and fresh.pk not in sent


def test_the_sweep_is_in_the_one_beat_schedule():
    from mos.celery import app

    tasks = {e["task"] for e in app.conf.beat_schedule.values()}
    assert "engines.tasks.resend_lost_runs" in tasks
    assert compute_workspace_task.acks_late and compute_workspace_task.reject_on_worker_lost


def test_failed_run_dashboard_shows_a_message_and_details_to_admins_only(
        tiny, owner_client, member_client, monkeypatch):
    monkeypatch.setattr("engines.metrics.funnel.compute_funnel",
                        lambda *a, **k: 1 / 0)
    run_for(tiny)
    admin_page = owner_client.get(f"/w/{tiny.slug}/").content.decode()
    assert "The metrics could not be computed" in admin_page
    assert "ZeroDivisionError" in admin_page  # the admin's details
    page = member_client.get(f"/w/{tiny.slug}/").content.decode()
    assert "The metrics could not be computed" in page
    assert "ZeroDivisionError" not in page and "Traceback" not in page


def test_interrupted_run_says_so_on_the_dashboard(tiny, owner_client):
    run = _stuck_run(tiny)
    html = owner_client.get(f"/w/{tiny.slug}/metrics/runs/{run.code}/").content.decode()
    assert "Interrupted — retrying" in html


# --- issue 11 §1: as_of, backfill, whole days, $0 orders ------------------------------------

def test_api_as_of_and_validation(api, tiny):
    r = api.post("/api/v1/metric-runs/", {"as_of": "1999-01-01"}, format="json")
    assert r.status_code == 400 and "as_of" in r.json()["error"]["fields"]
    r = api.post("/api/v1/metric-runs/", {"as_of": "2026-10-31",
                                          "backfill_from": "2026-11-05"}, format="json")
    assert r.status_code == 400 and "backfill_from" in r.json()["error"]["fields"]
    r = api.post("/api/v1/metric-runs/", {"as_of": str(AS_OF)}, format="json")
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "succeeded" and body["as_of"] == str(AS_OF)
    assert body["window_end"] == str(AS_OF)


def test_backfill_in_chunks_equals_a_single_run(tiny):
    run_for(tiny)  # the reference: one trailing run as of AS_OF
    ref = {(v.key, v.grain, v.period, v.dimension, v.dimension_value): v.value
           for v in MetricValue.objects.filter(workspace=tiny, period__gte=date(2026, 9, 1))}
    MetricValue.objects.filter(workspace=tiny).delete()
    call_command("compute_metrics", "--workspace", tiny.slug, "--as-of", str(AS_OF),
                 "--from", "2026-03-01")
    run = MetricRun.objects.filter(workspace=tiny).latest("created_at")
    assert run.backfill_from == date(2026, 3, 1) and run.progress == 100
    assert run.window_start <= date(2026, 3, 1) and run.window_end == AS_OF
    got = {(v.key, v.grain, v.period, v.dimension, v.dimension_value): v.value
           for v in MetricValue.objects.filter(workspace=tiny, period__gte=date(2026, 9, 1))}
    # the month and the weeks of Oct 2026 (the last chunk) agree with the single run
    oct_keys = {k for k in ref if k[2] >= date(2026, 10, 1) and not k[0].startswith("ltv")}
    assert {k: got.get(k) for k in oct_keys} == pytest.approx({k: ref[k] for k in oct_keys})


def test_a_backfill_fits_the_stored_models_once_as_of_its_end(tiny, monkeypatch):
    """The fits (and the holdout check, a second BG/NBD fit) are stored from the last chunk
    only: the chunks before it skip them, but still write their Markov keys."""
    from engines.models import ModelFit

    checks = []
    real = clv.holdout_check

    def counted(orders, *, as_of, **kw):
        checks.append(as_of)
        return real(orders, as_of=as_of, **kw)

    def fits(run):
        return sorted(ModelFit.objects.filter(run=run).values_list("kind", "n", "history_to",
                                                                   "loglik"))

    single = fits(run_for(tiny))  # the reference: one run as of AS_OF
    monkeypatch.setattr(clv, "holdout_check", counted)
    checks.clear()
    call_command("compute_metrics", "--workspace", tiny.slug, "--as-of", str(AS_OF),
                 "--from", "2026-03-01")  # three chunks: Mar–May, Jun–Aug, Sep–Oct
    run = MetricRun.objects.filter(workspace=tiny).latest("created_at")
    assert run.status == "succeeded"
    assert checks == [AS_OF]
    assert fits(run) == single and any(kind == "markov" for kind, *_ in single)
    # a chunk that keeps no fit writes the same Markov values as one that does
    from engines.metrics.loaders import Window, load_frames

    window = Window.trailing(as_of=AS_OF, days=120)
    frames = load_frames(tiny.pk, window)
    keep = pipeline.RunContext(workspace=tiny, window=window, frames=dict(frames))
    skip = pipeline.RunContext(workspace=tiny, window=window, frames=dict(frames),
                               keep_fits=False)
    kept, skipped = pipeline.step_models(keep, "month"), pipeline.step_models(skip, "month")
    assert len(kept) and kept.equals(skipped)
    assert skip.shared["fits"] == [] and len(keep.shared["fits"]) == len(single)


def test_compute_metrics_command_refuses_bad_dates(tiny):
    with pytest.raises(CommandError):
        call_command("compute_metrics", "--workspace", tiny.slug, "--as-of", "2026-13-01")
    with pytest.raises(CommandError):
        call_command("compute_metrics", "--workspace", tiny.slug, "--as-of", "1990-01-01")


def _orders(rows):
    import pandas as pd

    return pd.DataFrame({"order_id": range(len(rows)), "contact_id": [r[0] for r in rows],
                         "occurred_at": pd.to_datetime([r[1] for r in rows]),
                         "amount": [float(r[2]) for r in rows], "kind": "new",
                         "margin": float("nan")})


def test_a_customer_exactly_90_days_out_is_active():
    # contact 1: first purchase day 0, last day 61, as of day 151 → 90 days since the last;
    # (T − recency) × 7 gives 90.00000000000001 and used to drop them
    d0 = date(2025, 1, 1)
    as_of = d0 + timedelta(days=151)
    rows = [(1, d0, 10), (1, d0 + timedelta(days=61), 20),
            (2, d0, 10), (2, d0 + timedelta(days=100), 30), (2, d0 + timedelta(days=140), 30)]
    preds = clv.customer_predictions(_orders(rows), as_of=as_of, margin_default=1.0)
    assert preds.loc[1, "days_since_last_purchase"] == 90
    out = clv.compute_clv(_orders(rows), as_of=as_of, margin_default=1.0,
                          active_window_days=90)
    ltv = out.set_index("key")["value"]["ltv_predicted"]
    assert ltv == pytest.approx(preds["ltv_predicted"].mean())  # both customers counted


def test_a_zero_amount_order_is_a_first_purchase(tiny):
    """B (a lead, no orders) gets a free order on 2026-10-12: B becomes a new customer of
    October. Before: A (Oct 10) and C (Oct 20) → 2 new customers; after: 3, revenue unchanged
    (200 + 100 = 300), orders 3."""
    b = Contact.objects.get(workspace=tiny, name="B")
    Order.objects.create(workspace=tiny, contact=b, amount=Decimal("0"), currency="USD",
                         occurred_at=datetime(2026, 10, 12, 9, tzinfo=dt_tz.utc))
    run = run_for(tiny)
    assert run.status == "succeeded", run.error_detail
    v = {m.key: m.value for m in MetricValue.objects.filter(
        workspace=tiny, grain="month", period=date(2026, 10, 1), dimension="")}
    assert v["new_customers"] == 3
    assert v["revenue"] == 300
    assert v["orders"] == 3
