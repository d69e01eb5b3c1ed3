"""The nightly pipeline on a tiny workspace whose numbers are computed by hand.

Workspace "Acme" (UTC), October 2026:
  channels  google_ads (paid), newsletter
  spend     google_ads 100 on Oct 1 (1000 impressions, 50 clicks), 50 on Oct 2 (500, 25);
            newsletter 30 on Oct 1            → spend 180 (google_ads 150, newsletter 30)
  contacts  A (source google_ads): lead Oct 3, customer Oct 10, order 200 on Oct 10
            B (source google_ads): lead Oct 4
            C (source newsletter): subscriber Oct 2, lead Oct 5, customer Oct 20, order 100
  touches   A: google_ads on Oct 2;  C: newsletter on Oct 15
  → leads 3 (google_ads 2, newsletter 1); CPL 180/3 = 60 (google_ads 150/2 = 75,
    newsletter 30/1 = 30); new customers 2 (A, C); blended CAC 180/2 = 90;
    first-touch CAC google_ads 150/1, newsletter 30/1; revenue 300; CTR google_ads 75/1500.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timezone as dt_tz
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Contact, Event, Order, StageChange
from engines.metrics import pipeline
from engines.metrics import loaders
from engines.models import MetricRun, MetricValue
from crm.models import Channel, Spend
from engines.services import metric_run_start
from engines.metrics.tasks import compute_all_workspaces
from mos.models import Workspace

AS_OF = date(2026, 10, 31)
OCT = date(2026, 10, 1)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=dt_tz.utc)


@pytest.fixture
def tiny(workspace):
    ws = workspace
    g = Channel.objects.create(workspace=ws, key="google_ads", name="Google Ads",
                               kind="paid_search", is_paid=True)
    n = Channel.objects.create(workspace=ws, key="newsletter", name="Newsletter", kind="email")
    Spend.objects.bulk_create([
        Spend(workspace=ws, date=date(2026, 10, 1), channel=g, amount=Decimal("100"),
              impressions=1000, clicks=50),
        Spend(workspace=ws, date=date(2026, 10, 2), channel=g, amount=Decimal("50"),
              impressions=500, clicks=25),
        Spend(workspace=ws, date=date(2026, 10, 1), channel=n, amount=Decimal("30")),
    ])
    a = Contact.objects.create(workspace=ws, name="A", source_channel=g, stage="customer")
    b = Contact.objects.create(workspace=ws, name="B", source_channel=g, stage="lead")
    c = Contact.objects.create(workspace=ws, name="C", source_channel=n, stage="customer")
    StageChange.objects.bulk_create([
        StageChange(workspace=ws, contact=a, from_stage="", to_stage="lead", at=at(3)),
        StageChange(workspace=ws, contact=a, from_stage="lead", to_stage="customer", at=at(10)),
        StageChange(workspace=ws, contact=b, from_stage="", to_stage="lead", at=at(4)),
        StageChange(workspace=ws, contact=c, from_stage="", to_stage="subscriber", at=at(2)),
        StageChange(workspace=ws, contact=c, from_stage="subscriber", to_stage="lead", at=at(5)),
        StageChange(workspace=ws, contact=c, from_stage="lead", to_stage="customer", at=at(20)),
    ])
    Order.objects.create(workspace=ws, contact=a, amount=Decimal("200"), currency="USD",
                         occurred_at=at(10, 13))
    Order.objects.create(workspace=ws, contact=c, amount=Decimal("100"), currency="USD",
                         occurred_at=at(20, 13))
    Event.objects.create(workspace=ws, contact=a, name="page_view", channel=g, occurred_at=at(2))
    Event.objects.create(workspace=ws, contact=c, name="email_click", channel=n,
                         occurred_at=at(15))
    return ws


def run_for(ws, **kwargs) -> MetricRun:
    run = MetricRun.objects.create(workspace=ws, trigger="manual")
    return pipeline.compute_workspace(run, as_of=AS_OF, **kwargs)


def value(ws, key, grain="month", period=OCT, dimension="", dimension_value=""):
    return MetricValue.objects.get(workspace=ws, key=key, grain=grain, period=period,
                                   dimension=dimension, dimension_value=dimension_value).value


def all_values(ws):
    return sorted(MetricValue.objects.filter(workspace=ws).values_list(
        "key", "grain", "period", "dimension", "dimension_value", "value"))


def test_run_writes_the_hand_computed_numbers(tiny):
    run = run_for(tiny)
    assert run.status == "succeeded", run.error
    assert run.rows_written == MetricValue.objects.filter(workspace=tiny).count() > 0
    assert run.window_start == date(2025, 9, 1) and run.window_end == AS_OF
    assert run.progress == 100 and {"load", "acquisition", "write"} <= set(run.timings)
    assert value(tiny, "spend") == pytest.approx(180)
    assert value(tiny, "spend", dimension="channel", dimension_value="google_ads") == 150
    assert value(tiny, "spend", dimension="channel", dimension_value="newsletter") == 30
    assert value(tiny, "spend", grain="week", period=date(2026, 9, 28)) == 180  # Mon 28 Sep
    assert value(tiny, "leads") == 3
    assert value(tiny, "leads", dimension="channel", dimension_value="google_ads") == 2
    assert value(tiny, "cpl") == pytest.approx(60)
    assert value(tiny, "cpl", dimension="channel", dimension_value="google_ads") == 75
    assert value(tiny, "cpl", dimension="channel", dimension_value="newsletter") == 30
    assert value(tiny, "ctr", dimension="channel", dimension_value="google_ads") == 0.05
    assert value(tiny, "new_customers") == 2
    assert value(tiny, "cac") == pytest.approx(90)
    assert value(tiny, "cac.first_touch", dimension="channel",
                 dimension_value="google_ads") == pytest.approx(150)
    assert value(tiny, "cac.first_touch", dimension="channel",
                 dimension_value="newsletter") == pytest.approx(30)
    assert value(tiny, "revenue") == pytest.approx(300)
    assert value(tiny, "attributed_revenue.first_touch", dimension="channel",
                 dimension_value="google_ads") == pytest.approx(200)
    # every stored row is tagged with the run that wrote it
    assert not MetricValue.objects.filter(workspace=tiny).exclude(run=run).exists()


def test_running_twice_gives_identical_rows(tiny):
    run_for(tiny)
    first = all_values(tiny)
    second_run = run_for(tiny)
    assert second_run.status == "succeeded"
    assert all_values(tiny) == first
    assert second_run.rows_written == 0  # nothing changed: nothing rewritten


def test_a_changed_input_rewrites_only_what_changed(tiny):
    run_for(tiny)
    before = dict(((k, g, p, d, v), x) for k, g, p, d, v, x in all_values(tiny))
    s = Spend.objects.get(workspace=tiny, date=date(2026, 10, 1), channel__key="newsletter")
    s.amount = Decimal("60")
    s.save()
    run = run_for(tiny)
    after = dict(((k, g, p, d, v), x) for k, g, p, d, v, x in all_values(tiny))
    assert value(tiny, "spend") == 210 and value(tiny, "cac") == pytest.approx(105)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed and run.rows_written == len(changed)
    assert set(before) == set(after)
    assert ("revenue", "month", OCT, "", "") not in changed


def test_values_before_the_window_are_kept(tiny):
    old = MetricValue.objects.create(workspace=tiny, key="spend", grain="month",
                                     period=date(2024, 1, 1), value=42)
    stale = MetricValue.objects.create(workspace=tiny, key="spend", grain="month",
                                       period=date(2026, 7, 1), value=99)  # no spend in July
    run_for(tiny)
    assert MetricValue.objects.filter(pk=old.pk).exists()  # history outside the window stays
    assert not MetricValue.objects.filter(pk=stale.pk).exists()  # in the window: recomputed


def test_a_crash_in_a_step_keeps_the_previous_values(tiny, monkeypatch):
    run_for(tiny)
    before = all_values(tiny)

    def boom(*args, **kwargs):
        raise RuntimeError("funnel exploded")

    monkeypatch.setattr("engines.metrics.funnel.compute_funnel", boom)
    run = run_for(tiny, force=True)  # the data did not change: an incremental run skips funnel
    assert run.status == "failed"
    # a human message for the dashboard; the traceback for the log and admins only
    assert "funnel" in run.error and "Traceback" not in run.error
    assert "funnel exploded" in run.error_detail and "RuntimeError" in run.error_detail
    assert run.step == "funnel" and run.finished_at is not None
    assert all_values(tiny) == before


def test_a_run_with_nothing_changed_computes_and_writes_nothing(tiny):
    from engines.models import ContactPrediction, ModelFit

    first = run_for(tiny)
    ids = sorted(MetricValue.objects.filter(workspace=tiny).values_list("pk", flat=True))
    fits = ModelFit.objects.filter(workspace=tiny).count()
    predictions = sorted(ContactPrediction.objects.filter(workspace=tiny).values_list(
        "pk", "run_id"))
    again = run_for(tiny)
    assert again.status == "succeeded" and again.rows_written == 0
    assert again.fingerprint == first.fingerprint and "funnel" in again.fingerprint
    assert set(again.timings) == {"load", "fingerprint"}  # no family computed, no write
    assert sorted(MetricValue.objects.filter(workspace=tiny).values_list("pk", flat=True)) == ids
    assert ModelFit.objects.filter(workspace=tiny).count() == fits
    assert sorted(ContactPrediction.objects.filter(workspace=tiny).values_list(
        "pk", "run_id")) == predictions
    forced = run_for(tiny, force=True)  # a forced run computes everything: same numbers
    assert "funnel" in forced.timings and forced.rows_written == 0


def test_an_incremental_run_gives_the_numbers_of_a_full_recompute(tiny):
    run_for(tiny)
    # spend only: the families that read spend are recomputed, the others kept
    Spend.objects.filter(workspace=tiny, channel__key="newsletter").update(amount=60)
    run = run_for(tiny)
    assert {"acquisition", "economics"} <= set(run.timings)
    assert not {"funnel", "retention", "crm", "clv", "attribution", "subscriptions",
                "models"} & set(run.timings)
    incremental = all_values(tiny)
    assert run_for(tiny, force=True).rows_written == 0  # a full recompute changes nothing
    assert all_values(tiny) == incremental
    assert value(tiny, "spend") == 210 and value(tiny, "cac") == pytest.approx(105)
    # a day's new data: a new contact becomes a lead and a customer with an order and a touch
    channel = Channel.objects.get(workspace=tiny, key="newsletter")
    d = Contact.objects.create(workspace=tiny, name="D", source_channel=channel)
    StageChange.objects.create(workspace=tiny, contact=d, from_stage="", to_stage="lead",
                               at=at(30, 9))
    StageChange.objects.create(workspace=tiny, contact=d, from_stage="lead",
                               to_stage="customer", at=at(30, 15))
    Order.objects.create(workspace=tiny, contact=d, amount=Decimal("40"), currency="USD",
                         occurred_at=at(30, 15))
    Event.objects.create(workspace=tiny, contact=d, name="page_view", channel=channel,
                         occurred_at=at(30, 8))
    run = run_for(tiny)
    assert run.rows_written > 0
    incremental = all_values(tiny)
    assert run_for(tiny, force=True).rows_written == 0
    assert all_values(tiny) == incremental
    assert value(tiny, "new_customers") == 3 and value(tiny, "revenue") == pytest.approx(340)


def test_a_logged_call_recomputes_the_crm_family(tiny):
    """Calls feed call handling time (the crm family): a call logged after a run must not be
    skipped by the next incremental run."""
    from crm.models import Activity

    run_for(tiny)
    contact = Contact.objects.filter(workspace=tiny).first()
    Activity.objects.create(workspace=tiny, contact=contact, kind="call", at=at(30, 10),
                            duration_seconds=240, call_outcome="connected")
    run = run_for(tiny)
    assert "crm" in run.timings and "funnel" not in run.timings
    assert value(tiny, "call_handling_time") == pytest.approx(4.0)  # one call of 240 s
    incremental = all_values(tiny)
    assert run_for(tiny, force=True).rows_written == 0
    assert all_values(tiny) == incremental


def test_a_run_over_another_window_is_not_compared(tiny):
    """Values written by a run over another window (another as-of day, a backfill) are not
    the ones a same-window digest vouches for: the next run computes everything."""
    run_for(tiny)
    MetricRun.objects.create(workspace=tiny, trigger="manual")
    other = pipeline.compute_workspace(MetricRun.objects.create(workspace=tiny,
                                                                trigger="manual"),
                                       as_of=date(2026, 10, 20))
    assert other.status == "succeeded" and "funnel" in other.timings
    run = run_for(tiny)
    assert "funnel" in run.timings


def test_a_crash_while_writing_rolls_the_delete_back(tiny, monkeypatch):
    run_for(tiny)
    before = all_values(tiny)

    def broken_insert(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(MetricValue.objects, "bulk_create", broken_insert)
    monkeypatch.setattr(pipeline, "_copy_values", broken_insert)
    Spend.objects.filter(workspace=tiny, channel__key="newsletter").update(amount=60)
    run = run_for(tiny)  # must replace the changed values: deletes them, then fails inserting
    assert run.status == "failed" and "disk full" in run.error_detail
    assert all_values(tiny) == before  # the delete of the same transaction was rolled back


def _grow(ws, n: int):
    """n more contacts with a lead stage change, an order and an event each."""
    channel = Channel.objects.get(workspace=ws, key="google_ads")
    contacts = Contact.objects.bulk_create(
        [Contact(workspace=ws, name=f"c{i}", source_channel=channel) for i in range(n)])
    StageChange.objects.bulk_create([StageChange(workspace=ws, contact=c, to_stage="lead",
                                                 at=at(6)) for c in contacts])
    Order.objects.bulk_create([Order(workspace=ws, contact=c, amount=Decimal("10"),
                                     currency="USD", occurred_at=at(7)) for c in contacts])
    Event.objects.bulk_create([Event(workspace=ws, contact=c, name="page_view", channel=channel,
                                     occurred_at=at(6)) for c in contacts])


def test_loader_query_count_does_not_grow_with_contacts(tiny, django_assert_max_num_queries):
    window = loaders.Window.trailing(as_of=AS_OF, tz="UTC")
    with CaptureQueriesContext(connection) as small:
        frames = loaders.load_frames(tiny.pk, window)
    assert len(frames["contacts"]) == 3
    _grow(tiny, 60)
    with django_assert_max_num_queries(len(small)):
        frames = loaders.load_frames(tiny.pk, window)
    assert len(frames["contacts"]) == 63 and len(frames["orders"]) == 62
    assert len(small) <= 12  # one query per input frame (with the purchase history and calls)


def test_loaders_give_the_frames_contract(tiny):
    from engines.metrics.frames import FRAMES

    frames = loaders.load_frames(tiny.pk, loaders.Window.trailing(as_of=AS_OF))
    for name, columns in FRAMES.items():
        df = frames[name]
        assert list(df.columns) == list(columns), name
        for col, dtype in columns.items():
            assert str(df[col].dtype) == dtype, (name, col, df[col].dtype)
    assert sorted(frames["touchpoints"]["channel"]) == ["google_ads", "newsletter"]
    conv = frames["conversions"].sort_values("converted_at")
    assert list(conv["revenue"]) == [200.0, 100.0]
    assert frames["stage_changes"]["at"].min() == datetime(2026, 10, 2, 12)


def test_loader_keeps_first_purchase_before_the_history(tiny):
    """An order years ago makes the later one a repeat, not a new customer."""
    c = Contact.objects.get(workspace=tiny, name="C")
    Order.objects.create(workspace=tiny, contact=c, amount=Decimal("5"), currency="USD",
                         occurred_at=datetime(2020, 1, 1, tzinfo=dt_tz.utc))
    Order.objects.create(workspace=tiny, contact=c, amount=Decimal("7"), currency="USD",
                         occurred_at=datetime(2020, 6, 1, tzinfo=dt_tz.utc))
    orders = loaders.load_frames(tiny.pk, loaders.Window.trailing(as_of=AS_OF))["orders"]
    assert sorted(orders["amount"]) == [5.0, 100.0, 200.0]  # the first purchase only
    run_for(tiny)
    # C became a customer with the 2020 purchase (the earlier of first purchase and customer
    # stage): October has one new customer, A; without the history row it would count two
    assert value(tiny, "new_customers") == 1


def test_workspace_time_zone_moves_late_events_to_the_next_day(tiny):
    Workspace.objects.filter(pk=tiny.pk).update(timezone="Asia/Riyadh")  # UTC+3
    tiny.refresh_from_db()
    window = loaders.Window.trailing(as_of=AS_OF, tz=tiny.timezone)
    assert window.utc(date(2026, 10, 1)) == datetime(2026, 9, 30, 21, tzinfo=dt_tz.utc)
    frames = loaders.load_frames(tiny.pk, window)
    assert frames["orders"]["occurred_at"].min() == datetime(2026, 10, 10, 16)


def test_metric_run_start_runs_eagerly_and_reuses_an_active_run(tiny):
    run = metric_run_start(workspace=tiny, trigger="manual")
    assert run.status == "succeeded", run.error
    assert run.rows_written > 0
    pending = MetricRun.objects.create(workspace=tiny, trigger="nightly")
    again = metric_run_start(workspace=tiny, trigger="manual")
    assert again.pk == pending.pk
    assert MetricRun.objects.filter(workspace=tiny).count() == 2


def test_a_stale_active_run_does_not_block_forever(tiny):
    from datetime import timedelta

    from django.utils import timezone

    lost = MetricRun.objects.create(workspace=tiny, trigger="nightly", status="running",
                                    created_at=timezone.now() - timedelta(days=1))
    run = metric_run_start(workspace=tiny, trigger="manual")
    assert run.pk != lost.pk and run.status == "succeeded"
    lost.refresh_from_db()
    assert lost.status == "failed" and "Interrupted" in lost.error


def test_a_run_is_claimed_once(tiny):
    run = MetricRun.objects.create(workspace=tiny, trigger="api")
    assert pipeline.claim_and_compute(run.pk).status == "succeeded"
    assert pipeline.claim_and_compute(run.pk) is None  # a duplicate delivery does nothing


def test_compute_all_workspaces_creates_one_run_per_workspace(tiny, other_workspace):
    assert compute_all_workspaces.delay().get() == 2
    runs = MetricRun.objects.filter(trigger="nightly")
    assert sorted(r.workspace_id for r in runs) == sorted([tiny.pk, other_workspace.pk])
    assert {r.status for r in runs} == {"succeeded"}
    assert compute_all_workspaces.delay().get() == 2  # next night: new runs, same values


def test_a_run_with_no_data_succeeds_with_nothing_written(other_workspace):
    run = MetricRun.objects.create(workspace=other_workspace, trigger="manual")
    run = pipeline.compute_workspace(run, as_of=AS_OF)
    assert run.status == "succeeded", run.error
    assert run.rows_written == 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
@pytest.mark.django_db(transaction=True)
def test_nightly_fan_out_through_a_real_redis_worker(settings, owner, outsider):
    """compute_all_workspaces sent through the Redis broker to a real in-process worker."""
    import time

    from celery.contrib.testing.worker import start_worker

    from mos.celery import app

    from mos import services

    ws_a = services.workspace_create(user=owner, name="Redis A")
    ws_b = services.workspace_create(user=outsider, name="Redis B")
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                          loglevel="WARNING", shutdown_timeout=30):
            compute_all_workspaces.delay()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                runs = list(MetricRun.objects.filter(workspace__in=[ws_a, ws_b]))
                if len(runs) == 2 and all(r.status in ("succeeded", "failed") for r in runs):
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = True
    runs = MetricRun.objects.filter(workspace__in=[ws_a, ws_b])
    assert sorted(r.status for r in runs) == ["succeeded", "succeeded"], \
        [r.error for r in runs]


def test_loaded_events_keep_what_retention_and_response_rates_read(tiny):
    """The events frame holds each contact's latest activity (one row, grouped in the database)
    and every campaign event; day-N retention over it equals retention over all events."""
    import pandas as pd

    from engines.metrics import retention
    from engines.metrics.frames import make_frame

    a = Contact.objects.get(workspace=tiny, name="A")
    Event.objects.create(workspace=tiny, contact=a, name="login", occurred_at=at(12))
    Event.objects.create(workspace=tiny, contact=a, name="email_sent", occurred_at=at(25))
    frames = loaders.load_frames(tiny.pk, loaders.Window.trailing(as_of=AS_OF))
    events = frames["events"].sort_values("contact_id")
    assert list(events["occurred_at"]) == [datetime(2026, 10, 12, 12), datetime(2026, 10, 15, 12)]
    every_event = make_frame("events", [
        (a.pk, "page_view", "google_ads", "", "2026-10-02 12:00"),
        (a.pk, "login", "", "", "2026-10-12 12:00"),
        (a.pk, "email_sent", "", "", "2026-10-25 12:00"),  # passive: not activity
        (Contact.objects.get(workspace=tiny, name="C").pk, "email_click", "newsletter", "",
         "2026-10-15 12:00"),
    ])
    for day in (7, 30):
        for grain in ("week", "month"):
            pd.testing.assert_series_equal(
                retention.activity_retention(events, frames["stage_changes"], day=day,
                                             grain=grain, as_of=AS_OF),
                retention.activity_retention(every_event, frames["stage_changes"], day=day,
                                             grain=grain, as_of=AS_OF))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent loading: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_loading_on_two_connections_gives_the_same_frames_and_numbers(tiny):
    """Outside a transaction the loaders run two at a time on their own connections."""
    import pandas as pd
    from django.db import transaction

    window = loaders.Window.trailing(as_of=AS_OF)
    with transaction.atomic():  # another connection could not see uncommitted rows: in turn
        in_turn = loaders.load_frames(tiny.pk, window)
    assert not connection.in_atomic_block
    together = loaders.load_frames(tiny.pk, window)
    assert set(in_turn) == set(together)
    for name, frame in in_turn.items():
        pd.testing.assert_frame_equal(frame, together[name], obj=name)
    run = run_for(tiny)
    assert run.status == "succeeded", run.error
    assert value(tiny, "cac.first_touch", dimension="channel",
                 dimension_value="google_ads") == pytest.approx(150)
    assert value(tiny, "new_customers") == 2 and value(tiny, "leads") == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exported snapshots: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_rows_committed_while_a_run_loads_stay_out_of_that_run(tiny, monkeypatch):
    """The loaders read one REPEATABLE READ snapshot: an order and a stage change committed by
    another connection after the run started loading (here: just before the orders and stage
    changes are read) are not in this run's values, and the next run counts them."""
    import threading

    c = Contact.objects.get(workspace=tiny, name="B")
    real_orders, real_stages = loaders._sorted_orders, loaders._sorted_stage_changes

    def commit_elsewhere(fn):
        def write():  # a new thread: its own connection, in autocommit
            try:
                fn()
            finally:
                connection.close()
        t = threading.Thread(target=write)
        t.start()
        t.join()

    def late_order(*args):
        commit_elsewhere(lambda: Order.objects.create(
            workspace=tiny, contact=c, amount=Decimal("50"), currency="USD",
            occurred_at=at(25)))
        return real_orders(*args)

    def late_stage(*args):
        commit_elsewhere(lambda: StageChange.objects.create(
            workspace=tiny, contact=c, from_stage="lead", to_stage="customer", at=at(25)))
        return real_stages(*args)

    monkeypatch.setattr(loaders, "_sorted_orders", late_order)
    monkeypatch.setattr(loaders, "_sorted_stage_changes", late_stage)
    run = run_for(tiny)
    assert run.status == "succeeded", run.error
    assert Order.objects.filter(workspace=tiny, contact=c).count() == 1  # it was committed
    assert value(tiny, "revenue") == pytest.approx(300)  # … but not read by this run
    assert value(tiny, "new_customers") == 2 and value(tiny, "orders") == 2
    monkeypatch.setattr(loaders, "_sorted_orders", real_orders)
    monkeypatch.setattr(loaders, "_sorted_stage_changes", real_stages)
    run = run_for(tiny)
    assert value(tiny, "revenue") == pytest.approx(350)
    assert value(tiny, "new_customers") == 3 and value(tiny, "orders") == 3


# --- a second workspace's data never reaches the first's numbers ------------------------------

@pytest.fixture
def noise(other_workspace):
    """Another workspace with the same channel keys and much larger numbers: any leak into
    `tiny`'s numbers would show."""
    ws = other_workspace
    g = Channel.objects.create(workspace=ws, key="google_ads", name="Their Google Ads")
    Spend.objects.create(workspace=ws, date=date(2026, 10, 1), channel=g,
                         amount=Decimal("10000"), impressions=99999, clicks=9999)
    for i in range(4):
        c = Contact.objects.create(workspace=ws, name=f"X{i}", source_channel=g,
                                   stage="customer")
        StageChange.objects.create(workspace=ws, contact=c, from_stage="", to_stage="lead",
                                   at=at(3))
        StageChange.objects.create(workspace=ws, contact=c, from_stage="lead",
                                   to_stage="customer", at=at(6))
        Order.objects.create(workspace=ws, contact=c, amount=Decimal("9999"), currency="USD",
                             occurred_at=at(6, 13))
        Event.objects.create(workspace=ws, contact=c, name="page_view", channel=g,
                             occurred_at=at(2))
    return ws


def test_another_workspace_leaks_into_neither_the_loaders_nor_the_numbers(tiny, noise):
    frames = loaders.load_frames(tiny.pk, loaders.Window.trailing(as_of=AS_OF))
    assert len(frames["contacts"]) == 3 and len(frames["orders"]) == 2
    assert len(frames["spend"]) == 3 and frames["spend"]["amount"].sum() == 180
    assert sorted(frames["touchpoints"]["channel"]) == ["google_ads", "newsletter"]
    run = run_for(tiny)
    assert run.status == "succeeded", run.error
    # the hand-computed numbers of test_run_writes_the_hand_computed_numbers, unchanged
    assert value(tiny, "spend") == pytest.approx(180)
    assert value(tiny, "spend", dimension="channel", dimension_value="google_ads") == 150
    assert value(tiny, "leads") == 3 and value(tiny, "new_customers") == 2
    assert value(tiny, "cac") == pytest.approx(90)
    assert value(tiny, "revenue") == pytest.approx(300)
    assert value(tiny, "cac.first_touch", dimension="channel",
                 dimension_value="google_ads") == pytest.approx(150)
    # and the other workspace got nothing from this run
    assert not MetricValue.objects.filter(workspace=noise).exists()


def test_subscriptions_go_through_the_pipeline(tiny):
    """A and C subscribe in September (A 50/month, C 30/month on an account-less contact);
    C's yearly plan of 360 is 30 a month. In October A upgrades to 80 (expansion 30) and C's
    cancellation ends it on Oct 15 (churn 30): MRR Sep 80, Oct 80; logo churn Oct 1/2."""
    from crm.models import Subscription

    a = Contact.objects.get(workspace=tiny, name="A")
    c = Contact.objects.get(workspace=tiny, name="C")
    sept = datetime(2026, 9, 3, tzinfo=dt_tz.utc)
    Subscription.objects.bulk_create([
        Subscription(workspace=tiny, contact=a, plan="basic", mrr=Decimal("50"),
                     started_at=sept, ended_at=at(12)),
        Subscription(workspace=tiny, contact=a, plan="pro", mrr=Decimal("80"),
                     started_at=at(12)),
        Subscription(workspace=tiny, contact=c, plan="yearly", mrr=Decimal("30"),
                     started_at=sept, status="cancelled", cancelled_at=at(15)),
    ])
    run = run_for(tiny)
    assert run.status == "succeeded", run.error
    got = {(v.key, v.period.month): float(v.value) for v in MetricValue.objects.filter(
        workspace=tiny, dimension="", key__in=["mrr", "mrr_expansion", "mrr_churn",
                                                "logo_churn", "mrr_new"])}
    assert got[("mrr", 9)] == 80 and got[("mrr_new", 9)] == 80
    assert got[("mrr", 10)] == 80
    assert got[("mrr_expansion", 10)] == 30 and got[("mrr_churn", 10)] == 30
    assert got[("logo_churn", 10)] == 0.5
    assert MetricValue.objects.get(workspace=tiny, key="mrr", dimension="plan",
                                   dimension_value="pro", period=OCT).value == 80


BIG_LOADERS = ("load_touchpoints", "load_events", "_sorted_stage_changes", "_sorted_orders",
               "load_order_history", "load_contacts")


def _count_big_loads(monkeypatch) -> list[str]:
    """Wrap the loaders of the large frames (loaders.REUSABLE): the names of those called."""
    calls: list[str] = []
    for name in BIG_LOADERS:
        real = getattr(loaders, name)

        def wrapped(*args, _real=real, _name=name):
            calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(loaders, name, wrapped)
    return calls


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_run_with_nothing_changed_reads_no_large_frame_and_any_change_is_seen(
        tiny, monkeypatch):
    """PostgreSQL: a run after one with the same window asks the change log (triggers on the
    large input tables) instead of loading contacts, stage changes, orders and events; with
    nothing changed it loads none of them and writes nothing. One row changed in any watched
    table — through the ORM, a raw UPDATE, INSERT or DELETE — and the run loads again,
    recomputes, and stores exactly what a forced full recompute stores."""
    from django.db import connection as conn

    from crm.models import Campaign
    from engines.metrics import changes

    assert changes.available()
    first = run_for(tiny)
    assert first.status == "succeeded" and first.fingerprint.get("_snapshot")
    calls = _count_big_loads(monkeypatch)
    again = run_for(tiny)
    assert again.status == "succeeded" and again.rows_written == 0
    assert calls == []  # no large frame read
    assert set(again.timings) == {"load", "fingerprint"}
    meta = ("_snapshot", "_changed_from")
    assert again.fingerprint["_changed_from"] is None  # nothing changed since the first run
    assert {k: v for k, v in again.fingerprint.items() if k not in meta} == {
        k: v for k, v in first.fingerprint.items() if k not in meta}
    third = run_for(tiny)  # the reused digests carry over to the next run
    assert calls == [] and third.rows_written == 0

    a = Contact.objects.get(workspace=tiny, name="A")
    g = Channel.objects.get(workspace=tiny, key="google_ads")
    edits = {
        "crm_order (ORM)": lambda: Order.objects.filter(contact=a).update(amount=Decimal("250")),
        "crm_event (raw INSERT)": lambda: _sql(  # a copy of A's page view, a week later
            "CREATE TEMP TABLE ev AS SELECT * FROM crm_event WHERE contact_id = %s; "
            "UPDATE ev SET id = nextval(pg_get_serial_sequence('crm_event', 'id')), "
            "code = gen_random_uuid(), occurred_at = %s; "
            "INSERT INTO crm_event SELECT * FROM ev; DROP TABLE ev", [a.pk, at(9)]),
        "crm_stagechange (raw DELETE)": lambda: _sql(
            "DELETE FROM crm_stagechange WHERE workspace_id = %s AND to_stage = 'subscriber'",
            [tiny.pk]),
        "crm_contact (raw UPDATE)": lambda: _sql(
            "UPDATE crm_contact SET created_at = %s WHERE id = %s", [at(1), a.pk]),
        "engines_channel": lambda: Channel.objects.filter(pk=g.pk).update(key="google"),
        "engines_campaign": lambda: Campaign.objects.create(workspace=tiny, channel=g, name="Fall"),
    }
    for label, edit in edits.items():
        edit()
        del calls[:]
        run = run_for(tiny)
        assert run.status == "succeeded", (label, run.error)
        assert calls, label  # the large frames were read again
        incremental = all_values(tiny)
        forced = run_for(tiny, force=True)
        assert forced.rows_written == 0, label  # the incremental run left nothing to fix
        assert all_values(tiny) == incremental, label
        quiet = run_for(tiny)
        assert quiet.rows_written == 0 and set(quiet.timings) == {"load", "fingerprint"}, label
    with conn.cursor() as cur:  # the log is per workspace: another one's rows are not seen
        cur.execute("SELECT COUNT(*) FROM engines_datachange WHERE workspace_id = %s", [tiny.pk])
        assert cur.fetchone()[0] > 0


def _sql(query, params):
    with connection.cursor() as cur:
        cur.execute(query, params)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_load_with_the_triggers_off_is_logged_by_hand(tiny, monkeypatch):
    """A COPY under session_replication_role = replica (the demo generator's) fires no
    trigger; changes.log_bulk_write records it, and the next run reads the frames again."""
    from engines.metrics import changes

    run_for(tiny)
    calls = _count_big_loads(monkeypatch)
    _sql("SET session_replication_role = replica; "
         "UPDATE crm_order SET amount = amount + 1 WHERE workspace_id = %s; "
         "SET session_replication_role = origin", [tiny.pk])
    run_for(tiny)
    assert calls == []  # the silent write was not seen: that is why it must be logged
    changes.log_bulk_write(tiny.pk)
    run = run_for(tiny)
    assert calls and run.rows_written > 0


# --- a new night: the as-of day moves on by one ----------------------------------------------

NOV = date(2026, 11, 1)


def all_predictions(ws):
    from engines.models import ContactPrediction

    return sorted(ContactPrediction.objects.filter(workspace=ws).values_list(
        "contact__name", "p_alive", "expected_purchases_12m", "predicted_clv"))


def _a_new_night_equals_a_full_recompute(ws):
    """As-of Oct 31, then Nov 1 with no new row, then Nov 1 again after a day's data: each
    incremental night stores exactly what a forced full recompute of that night stores
    (values and contact predictions), and the new day's numbers are the hand-computed ones."""
    c = Contact.objects.get(workspace=ws, name="C")  # a repeat buyer: the CLV fit has data
    Order.objects.create(workspace=ws, contact=c, amount=Decimal("60"), currency="USD",
                         occurred_at=at(25, 13))
    run_for(ws)
    before = {k: value(ws, k) for k in ("revenue", "orders", "leads", "spend")}
    night = pipeline.compute_workspace(MetricRun.objects.create(workspace=ws, trigger="nightly"),
                                       as_of=NOV)
    assert night.status == "succeeded", night.error
    assert night.window_end == NOV and "funnel" in night.timings  # the window moved
    incremental, predictions = all_values(ws), all_predictions(ws)
    assert predictions  # A and C bought: both are predicted
    forced = pipeline.compute_workspace(MetricRun.objects.create(workspace=ws, trigger="manual"),
                                        as_of=NOV, force=True)
    assert forced.rows_written == 0  # the new night left nothing for a full recompute to fix
    assert all_values(ws) == incremental and all_predictions(ws) == predictions
    # October is closed: its numbers did not move with the window
    assert {k: value(ws, k) for k in before} == before
    # a day's new data on Nov 1: A buys again (50), a new contact E becomes a lead, 20 spent
    a = Contact.objects.get(workspace=ws, name="A")
    g = Channel.objects.get(workspace=ws, key="google_ads")
    Order.objects.create(workspace=ws, contact=a, amount=Decimal("50"), currency="USD",
                         occurred_at=datetime(2026, 11, 1, 9, tzinfo=dt_tz.utc))
    e = Contact.objects.create(workspace=ws, name="E", source_channel=g, stage="lead")
    StageChange.objects.create(workspace=ws, contact=e, from_stage="", to_stage="lead",
                               at=datetime(2026, 11, 1, 10, tzinfo=dt_tz.utc))
    Event.objects.create(workspace=ws, contact=e, name="page_view", channel=g,
                         occurred_at=datetime(2026, 11, 1, 8, tzinfo=dt_tz.utc))
    Spend.objects.create(workspace=ws, date=NOV, channel=g, amount=Decimal("20"))
    day = pipeline.compute_workspace(MetricRun.objects.create(workspace=ws, trigger="nightly"),
                                     as_of=NOV)
    assert day.status == "succeeded" and day.rows_written > 0
    incremental, predictions = all_values(ws), all_predictions(ws)
    assert [p[0] for p in predictions] == ["A", "C"]
    forced = pipeline.compute_workspace(MetricRun.objects.create(workspace=ws, trigger="manual"),
                                        as_of=NOV, force=True)
    assert forced.rows_written == 0
    assert all_values(ws) == incremental and all_predictions(ws) == predictions
    assert value(ws, "revenue", period=NOV) == pytest.approx(50)
    assert value(ws, "orders", period=NOV) == 1 and value(ws, "leads", period=NOV) == 1
    assert value(ws, "spend", period=NOV) == pytest.approx(20)
    assert value(ws, "cpl", period=NOV) == pytest.approx(20)  # 20 spent / 1 lead
    assert {k: value(ws, k) for k in before} == before  # October still untouched


def test_a_new_night_gives_the_numbers_of_a_full_recompute(tiny):
    _a_new_night_equals_a_full_recompute(tiny)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_new_night_on_postgresql_gives_the_numbers_of_a_full_recompute(tiny):
    """The same outside a test transaction: the loaders read one exported snapshot on their
    own connections, runs record it and compare the change log with it."""
    _a_new_night_equals_a_full_recompute(tiny)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the change log: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_run_records_from_which_moment_the_data_changed(tiny):
    """engines 0009: the change log keeps the earliest moment of data a statement touched (old
    and new rows); a run records the earliest since the previous run ("_changed_from"), over
    a moved window too: a new night's own rows start on the new day."""
    from engines.metrics import changes

    run_for(tiny)
    a = Contact.objects.get(workspace=tiny, name="A")

    def night():
        run = pipeline.compute_workspace(
            MetricRun.objects.create(workspace=tiny, trigger="nightly"), as_of=NOV)
        assert run.status == "succeeded", run.error
        return run.fingerprint["_changed_from"]

    Event.objects.create(workspace=tiny, contact=a, name="page_view",
                         occurred_at=datetime(2026, 11, 1, 8, tzinfo=dt_tz.utc))
    Order.objects.create(workspace=tiny, contact=a, amount=Decimal("50"), currency="USD",
                         occurred_at=datetime(2026, 11, 1, 9, tzinfo=dt_tz.utc))
    assert night() == "2026-11-01T08:00:00+00:00"  # the earlier of the two new rows
    assert night() is None  # nothing since
    # an order moved from Oct 10 to Oct 12 touched Oct 10 (its old row)
    Order.objects.filter(contact=a, occurred_at=at(10, 13)).update(occurred_at=at(12, 13))
    assert night() == "2026-10-10T13:00:00+00:00"
    StageChange.objects.filter(contact=a, to_stage="lead").delete()  # deleted rows count too
    assert night() == "2026-10-03T12:00:00+00:00"
    Contact.objects.filter(pk=a.pk).update(name="A.")  # no time column: any day
    assert night() == "any"
    snapshot = changes.current_snapshot()
    changes.log_bulk_write(tiny.pk)  # a hand-logged bulk load: any day
    assert changes.earliest_change(tiny.pk, snapshot) == changes.ANY_DAY
