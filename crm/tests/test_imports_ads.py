"""Ad-platform exports and money (issue 17): each sample in tests/data/imports is made the way
the platform exports it by default (tests/data/imports/make_ad_samples.py). For each, the
file's totals equal the preview's, the result's and the database's (amounts converted to the
workspace currency with the imported rates, computed by hand below), or the file is refused
with a message saying what to change in the export. Importing a file twice changes nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.urls import reverse

from crm.models import Campaign, Channel, Contact, ExchangeRate, ImportJob, Order, Spend

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "imports"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(client, ws, name, kind, *, spread=False, channel=None, layout="auto"):
    data = {"kind": kind, "layout": layout,
            "file": SimpleUploadedFile(name, (DATA / name).read_bytes(), "text/csv")}
    if spread:
        data["spread"] = "on"
    if channel is not None:
        data["channel"] = str(channel.code)
    return client.post(reverse("imports", kwargs={"slug": ws.slug}), data)


def _job(ws) -> ImportJob:
    return ImportJob.objects.filter(workspace=ws).latest("created_at")


def _import(client, ws, name, kind, capture, **kw) -> ImportJob:
    resp = _upload(client, ws, name, kind, **kw)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    job = _job(ws)
    with capture(execute=True):
        client.post(reverse("import_confirm", kwargs={"slug": ws.slug,
                                                      "import_code": job.code}))
    job.refresh_from_db()
    assert job.status == "done", job.error
    return job


def _spend_in_db(ws) -> tuple:
    agg = Spend.objects.filter(workspace=ws).aggregate(a=Sum("amount"), i=Sum("impressions"),
                                                       c=Sum("clicks"))
    return agg["a"], agg["i"], agg["c"]


@pytest.fixture
def ecb(owner_client, workspace, django_capture_on_commit_callbacks):
    """The ECB sample imported into the (USD) workspace."""
    return _import(owner_client, workspace, "eurofxref-hist.csv", "rates",
                   django_capture_on_commit_callbacks)


# --- exchange rates ----------------------------------------------------------------------------

def test_ecb_file_is_recognised_whatever_kind_was_chosen_and_gives_cross_rates(
        owner_client, workspace, django_capture_on_commit_callbacks):
    assert workspace.currency == "USD"
    job = _import(owner_client, workspace, "eurofxref-hist.csv", "contacts",
                  django_capture_on_commit_callbacks)
    assert (job.kind, job.layout, job.total_rows) == ("rates", "ecb_rates", 10)
    # 30 quoted currencies a day: USD is the workspace's, so 29 cross rates + EUR itself
    assert ExchangeRate.objects.filter(workspace=workspace).count() == 300
    rate = {r.currency: r.rate for r in ExchangeRate.objects.filter(date="2026-11-02")}
    assert rate["EUR"] == Decimal("1.1550")  # 1 EUR = 1.1550 USD
    assert rate["GBP"] == Decimal("1.32")  # 1.1550 / 0.8750
    assert rate["ZAR"] == Decimal("0.05775")  # 1.1550 / 20.0000
    assert "CYP" not in rate and "USD" not in rate  # N/A column; the workspace currency
    assert job.report["file_totals"]["rates"] == 300
    assert job.report["stored_totals"]["rows"] == 10

    again = _import(owner_client, workspace, "eurofxref-hist.csv", "rates",
                    django_capture_on_commit_callbacks)
    assert (again.created_rows, again.updated_rows, again.report["unchanged"]) == (0, 0, 10)


def test_ecb_file_in_a_eur_workspace_inverts_the_quotes(
        owner_client, workspace, django_capture_on_commit_callbacks):
    workspace.currency = "EUR"
    workspace.save()
    _import(owner_client, workspace, "eurofxref-hist.csv", "rates",
            django_capture_on_commit_callbacks)
    r = ExchangeRate.objects.get(workspace=workspace, date="2026-11-02", currency="ZAR")
    assert r.rate == Decimal("0.05")  # 1 / 20.0000
    assert not ExchangeRate.objects.filter(currency="EUR").exists()


def test_ecb_file_refused_for_a_currency_it_does_not_quote(owner_client, workspace):
    workspace.currency = "SAR"
    workspace.save()
    resp = _upload(owner_client, workspace, "eurofxref-hist.csv", "rates")
    assert resp.status_code == 400
    assert "This ECB file has no SAR column" in resp.content.decode()


def test_rates_api_bulk_and_list(api, workspace):
    r = api.post("/api/v1/exchange-rates/bulk", {"rows": [
        {"date": "2026-11-02", "currency": "eur", "rate": "1.155"},
        {"date": "2026-11-02", "currency": "USD", "rate": 1},
        {"date": "2026-11-02", "currency": "GBP", "rate": 0},
    ]}, format="json")
    assert [x["status"] for x in r.json()["results"]] == ["created", "rejected", "rejected"]
    assert r.json()["results"][1]["errors"] == {
        "currency": ["This is the workspace currency; it needs no rate."]}
    again = api.post("/api/v1/exchange-rates/bulk", {"rows": [
        {"date": "2026-11-02", "currency": "EUR", "rate": "1.1550"}]}, format="json")
    # an upsert re-sent as stored is "unchanged", as for orders and contacts ("duplicate" is
    # kept for events, which are append-only and recognised by their sender id)
    assert again.json()["results"][0]["status"] == "unchanged"
    assert again.json()["summary"]["unchanged"] == 1
    listed = api.get("/api/v1/exchange-rates?currency=EUR").json()["results"]
    assert listed == [{"date": "2026-11-02", "currency": "EUR", "rate": "1.1550000000",
                       "source": "api"}]


def test_spend_api_converts_with_the_latest_rate_within_a_week_or_names_the_rate(
        api, workspace):
    from .bulk_helpers import make_channel

    make_channel(workspace, "meta")
    ExchangeRate.objects.create(workspace=workspace, date="2026-10-30", currency="EUR",
                                rate=Decimal("1.16"))
    r = api.post("/api/v1/spend/bulk", {"rows": [
        {"date": "2026-11-01", "channel": "meta", "amount": "10.00", "currency": "EUR"},
        {"date": "2026-11-07", "channel": "meta", "amount": "10.00", "currency": "EUR"},
    ]}, format="json")
    res = r.json()["results"]
    assert res[0]["status"] == "created"
    assert res[1]["errors"] == {"currency": [
        "No EUR→USD rate for 2026-11-07 or the 7 days before it. Add a EUR→USD rate for "
        "2026-11-07 or earlier (Exchange rates import, or POST /api/v1/exchange-rates/bulk)."]}
    s = Spend.objects.get(workspace=workspace)
    assert (s.amount, s.original_amount, s.original_currency) == (
        Decimal("11.60"), Decimal("10.00"), "EUR")


# --- Meta ----------------------------------------------------------------------------------------

def test_meta_placement_breakdown_is_summed_per_day_and_campaign_and_converted(
        owner_client, workspace, ecb, django_capture_on_commit_callbacks):
    resp = _upload(owner_client, workspace, "meta_ads_day_placement.csv", "spend")
    assert resp.status_code == 302
    job = _job(workspace)
    ft, preview = job.report["file_totals"], job.report["preview"]
    assert ft == {"rows": 12, "summary_rows": 1, "amounts": {"EUR": "237.83"},
                  "impressions": 51200, "clicks": 590}
    # Sunday 1 Nov takes Friday's rate (1.16), Monday 2 Nov its own (1.155):
    # 77.50×1.16 = 89.90, 41.73×1.16 = 48.41, 78.70×1.155 = 90.90, 39.90×1.155 = 46.08
    assert preview["totals"] == {"rows": 4, "amount": "275.29", "impressions": 51200,
                                 "clicks": 590}
    assert preview["stats"]["lines"] == 12 and preview["stats"]["groups"] == 4
    page = owner_client.get(reverse("import_detail", kwargs={
        "slug": workspace.slug, "import_code": job.code})).content.decode()
    assert "12 breakdown rows were summed into 4 day × campaign rows" in page
    assert "summary row was skipped" in page

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                            "import_code": job.code}))
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_rows, job.error_rows) == (
        "done", 12, 4, 0)
    assert job.report["stored_totals"] == preview["totals"]
    assert _spend_in_db(workspace) == (Decimal("275.29"), 51200, 590)
    meta = Channel.objects.get(workspace=workspace, key="meta_ads")
    prospecting = Campaign.objects.get(external_id="120210000000000001")
    s = Spend.objects.get(campaign=prospecting, date="2026-11-01")
    assert (s.channel, s.amount, s.original_amount, s.original_currency, s.impressions,
            s.clicks, s.spread) == (meta, Decimal("89.90"), Decimal("77.50"), "EUR", 20500,
                                    205, False)

    again = _import(owner_client, workspace, "meta_ads_day_placement.csv", "spend",
                    django_capture_on_commit_callbacks)
    assert (again.created_rows, again.updated_rows, again.report["unchanged"]) == (0, 0, 4)
    assert _spend_in_db(workspace) == (Decimal("275.29"), 51200, 590)


def test_meta_age_gender_export_resaved_in_a_german_locale(
        owner_client, workspace, django_capture_on_commit_callbacks):
    workspace.currency = "EUR"
    workspace.save()
    job = _import(owner_client, workspace, "meta_ads_day_age_gender_de.csv", "spend",
                  django_capture_on_commit_callbacks)
    assert job.report["encoding"] == "cp1252" and job.report["delimiter"] == ";"
    assert job.report["file_totals"]["amounts"] == {"EUR": "58.00"}
    assert _spend_in_db(workspace) == (Decimal("58.00"), 7950, 118)
    assert Spend.objects.get(workspace=workspace).campaign.name == "Herbstaktion – Video"


def test_meta_without_day_is_refused_per_row_or_spread_evenly(
        owner_client, workspace, django_capture_on_commit_callbacks):
    _upload(owner_client, workspace, "meta_ads_no_day.csv", "spend")
    preview = _job(workspace).report["preview"]
    assert preview["valid"] == 0
    assert ("Export with the “Day” breakdown (Breakdown → By time → Day in Ads Manager), or "
            "tick “Spread totals over their days”") in preview["errors"][0][1]["date"][0]

    job = _import(owner_client, workspace, "meta_ads_no_day.csv", "spend",
                  django_capture_on_commit_callbacks, spread=True)
    assert job.report["stats"]["spread_lines"] == 2 and job.created_rows == 14
    assert _spend_in_db(workspace) == (Decimal("800.05"), 70013, 1404)
    assert not Spend.objects.filter(workspace=workspace, spread=False).exists()
    brand = Campaign.objects.get(external_id="120210000000000022")
    # 100.05 over 7 days: 14.30 twice, then 14.29; 10 impressions: 2, 2, 2, 1, 1, 1, 1
    assert list(Spend.objects.filter(campaign=brand).order_by("date").values_list(
        "amount", "impressions", "clicks")) == [
        (Decimal("14.30"), 2, 1), (Decimal("14.30"), 2, 1), (Decimal("14.29"), 2, 1),
        (Decimal("14.29"), 1, 0), (Decimal("14.29"), 1, 0), (Decimal("14.29"), 1, 0),
        (Decimal("14.29"), 1, 0)]
    assert job.report["stored_totals"] == {"rows": 14, "amount": "800.05",
                                           "impressions": 70013, "clicks": 1404}


def test_meta_account_level_export_is_channel_level_spend(
        owner_client, workspace, django_capture_on_commit_callbacks):
    job = _import(owner_client, workspace, "meta_ads_account_level.csv", "spend",
                  django_capture_on_commit_callbacks)
    assert job.report["file_totals"]["summary_rows"] == 1
    assert job.report["file_totals"]["amounts"] == {"USD": "105.55"}
    assert _spend_in_db(workspace) == (Decimal("105.55"), 10100, 121)
    assert not Spend.objects.filter(workspace=workspace, campaign__isnull=False).exists()
    assert Spend.objects.get(workspace=workspace, date="2026-11-03").amount == 0


def test_meta_month_by_platform_spread_over_the_month(
        owner_client, workspace, django_capture_on_commit_callbacks):
    job = _import(owner_client, workspace, "meta_ads_month_platform.csv", "spend",
                  django_capture_on_commit_callbacks, spread=True)
    # 310.00 / 31 = 10.00 and 155.31 / 31 = 5.01 a day, summed per day: 15.01
    assert job.created_rows == 31
    assert set(Spend.objects.filter(workspace=workspace).values_list("amount", "spread")) == {
        (Decimal("15.01"), True)}
    assert _spend_in_db(workspace) == (Decimal("465.31"), 37200, 310)


def test_meta_empty_export_gets_a_friendly_message(owner_client, workspace):
    resp = _upload(owner_client, workspace, "meta_ads_no_data.csv", "spend")
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "This export has no data" in page and "is not a date" not in page


# --- Google Ads, TikTok, LinkedIn ---------------------------------------------------------------

def test_google_ads_default_download_says_add_the_day_segment_or_spreads(
        owner_client, workspace, django_capture_on_commit_callbacks):
    resp = _upload(owner_client, workspace, "google_ads_default_no_day_utf16.csv", "spend")
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "add Segments → Time → Day to the report" in page
    assert "2026-11-01 to 2026-11-30" in page
    assert "Using the file you chose: <bdi>google_ads_default_no_day_utf16.csv" in page

    # the chosen file survived the error: tick "spread" and send the form again, no file
    token = owner_client.session["import_pending_file"]["token"]
    assert f'name="pending" value="{token}"' in page
    resp = owner_client.post(reverse("imports", kwargs={"slug": workspace.slug}), {
        "kind": "spend", "layout": "auto", "spread": "on", "pending": token})
    assert resp.status_code == 302
    assert "import_pending_file" not in owner_client.session
    job = _job(workspace)
    assert job.filename == "google_ads_default_no_day_utf16.csv"
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                            "import_code": job.code}))
    job.refresh_from_db()
    assert job.report["file_totals"] == {"rows": 2, "summary_rows": 3,
                                         "amounts": {"USD": "1534.56"}, "impressions": 48001,
                                         "clicks": 1051}
    assert job.created_rows == 60 and job.report["stored_totals"]["amount"] == "1534.56"
    assert _spend_in_db(workspace) == (Decimal("1534.56"), 48001, 1051)
    generic = Campaign.objects.get(name="Generic - Search")
    assert generic.channel.key == "google_ads"
    amounts = list(Spend.objects.filter(campaign=generic).order_by("date")
                   .values_list("amount", flat=True))
    assert amounts == [Decimal("41.16")] * 6 + [Decimal("41.15")] * 24


def test_tiktok_daily_campaign_report_in_sar_with_the_rates_layout(
        owner_client, workspace, django_capture_on_commit_callbacks):
    rates = _import(owner_client, workspace, "rates_sar.csv", "rates",
                    django_capture_on_commit_callbacks)
    assert (rates.layout, rates.created_rows) == ("rates", 3)
    job = _import(owner_client, workspace, "tiktok_ads_daily_campaign.csv", "contacts",
                  django_capture_on_commit_callbacks)
    assert (job.kind, job.layout) == ("spend", "tiktok_ads")
    assert job.report["file_totals"]["amounts"] == {"SAR": "975.50"}
    assert job.report["file_totals"]["summary_rows"] == 1
    # 53.32 + 31.99 + 56.01 + 34.67 + 50.64 + 33.45
    assert _spend_in_db(workspace) == (Decimal("260.08"), 88100, 634)
    assert Spend.objects.filter(workspace=workspace).aggregate(
        o=Sum("original_amount"))["o"] == Decimal("975.50")
    assert Channel.objects.get(workspace=workspace, key="tiktok_ads").is_paid


def test_linkedin_campaign_manager_export_in_gbp(
        owner_client, workspace, ecb, django_capture_on_commit_callbacks):
    job = _import(owner_client, workspace, "linkedin_campaign_performance.csv", "spend",
                  django_capture_on_commit_callbacks)
    assert (job.layout, job.report["encoding"], job.report["header_line"]) == (
        "linkedin_ads", "utf-16", 5)
    # GBP→USD: 1.1550 / 0.8750 = 1.32 on 2 Nov, 1.1500 / 0.8800 on 3 Nov
    # 150.00 → 198.00, 12.50 → 16.50, 88.00 → 115.00, 0.00 → 0.00
    assert _spend_in_db(workspace) == (Decimal("329.50"), 5800, 58)
    assert job.report["stored_totals"]["amount"] == "329.50"
    s = Spend.objects.get(campaign__name="B2B Leads – UK", date="2026-11-03")
    assert (s.amount, s.original_amount, s.original_currency) == (
        Decimal("115.00"), Decimal("88.00"), "GBP")


# --- orders in several currencies -------------------------------------------------------------

def test_orders_in_three_currencies_are_converted_and_a_missing_rate_is_named(
        owner_client, workspace, ecb, django_capture_on_commit_callbacks):
    for email in ("buyer1@example.com", "buyer2@example.com"):
        Contact.objects.create(workspace=workspace, email=email)
    resp = _upload(owner_client, workspace, "orders_multi_currency.csv", "orders")
    assert resp.status_code == 302
    job = _job(workspace)
    assert job.report["file_totals"]["amounts"] == {"EUR": "70.00", "USD": "100.00",
                                                    "ZAR": "400.00"}
    # 100.00 + 50.00 × 1.1550 + 400.00 × 0.05775 = 100.00 + 57.75 + 23.10
    assert job.report["preview"]["totals"] == {"rows": 3, "amount": "180.85"}
    [[line, errors]] = job.report["preview"]["errors"]
    assert line == 5 and "Add a EUR→USD rate for 2026-10-20 or earlier" in \
        errors["currency"][0]
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                            "import_code": job.code}))
    job.refresh_from_db()
    assert job.report["stored_totals"] == {"rows": 3, "amount": "180.85"}
    assert Order.objects.filter(workspace=workspace).aggregate(a=Sum("amount"))["a"] == \
        Decimal("180.85")
    zar = Order.objects.get(external_id="o-zar-1")
    assert (zar.amount, zar.currency, zar.original_amount, zar.original_currency) == (
        Decimal("23.10"), "USD", Decimal("400.00"), "ZAR")
    page = owner_client.get(reverse("import_detail", kwargs={
        "slug": workspace.slug, "import_code": job.code})).content.decode()
    assert "EUR 70.00 + USD 100.00 + ZAR 400.00" in page and "USD 180.85" in page


# --- the embedded default: the import runs beside the request -------------------------------

@pytest.mark.django_db(transaction=True)
def test_with_eager_celery_confirming_returns_and_a_thread_imports(
        owner_client, workspace, settings, monkeypatch):
    from crm.importing import jobs

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MOS_IMPORT_THREAD = True
    started = []
    real_thread_run = jobs._run_in_thread

    def record(job_id):
        started.append(job_id)
        real_thread_run(job_id)

    monkeypatch.setattr(jobs, "_run_in_thread", record)
    _upload(owner_client, workspace, "tiktok_ads_daily_campaign.csv", "spend")
    job = _job(workspace)
    resp = owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                               "import_code": job.code}))
    assert resp.status_code == 302
    thread = jobs.IMPORT_THREADS.get(job.pk)
    if thread is not None:
        thread.join(timeout=60)
    job.refresh_from_db()
    assert started == [job.pk]
    # no SAR rate in this workspace: every row refused, named, and the job still finishes
    assert (job.status, job.processed_rows, job.error_rows) == ("done", 6, 6)
    assert "Add a SAR→USD rate for 2026-11-01 or earlier" in \
        job.report["errors"][0][1]["currency"][0]


def test_exchange_rates_belong_to_their_workspace(api, outsider_api, workspace):
    r = outsider_api.post("/api/v1/exchange-rates/bulk", {"rows": [
        {"date": "2026-11-02", "currency": "EUR", "rate": "9.99"}]}, format="json")
    assert r.json()["summary"]["created"] == 1
    assert api.get("/api/v1/exchange-rates").json()["results"] == []
    assert not ExchangeRate.objects.filter(workspace=workspace).exists()


@pytest.mark.django_db(transaction=True)
def test_with_eager_celery_the_confirm_request_does_not_wait_for_the_import(
        owner_client, workspace, settings, monkeypatch):
    import threading

    from crm.importing import jobs

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MOS_IMPORT_THREAD = True
    go = threading.Event()
    real_process = jobs.import_job_process

    def held(job_id):  # the import starts only once the test says so
        assert go.wait(timeout=60)
        real_process(job_id)

    monkeypatch.setattr(jobs, "import_job_process", held)
    _upload(owner_client, workspace, "meta_ads_account_level.csv", "spend")
    job = _job(workspace)
    resp = owner_client.post(reverse("import_confirm", kwargs={"slug": workspace.slug,
                                                               "import_code": job.code}))
    assert resp.status_code == 302  # answered while the import waits
    job.refresh_from_db()
    assert job.status == "queued" and job.processed_rows == 0
    thread = jobs.IMPORT_THREADS[job.pk]
    go.set()
    thread.join(timeout=60)
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == ("done", 3)
    assert _spend_in_db(workspace) == (Decimal("105.55"), 10100, 121)
