"""CSV imports: layouts parse the sample files into the right rows, the preview writes nothing,
confirming imports the valid rows through the bulk functions and reports the others with their
line numbers, the task records progress, and roles and tenancy hold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext

from crm.importing import formats as import_formats
from crm.importing import jobs as imports
from crm.models import Contact, ImportJob, Order
from crm.importing.tasks import import_run
from crm.models import Campaign, Channel, Spend
from crm.channels.services import ensure_default_channels
from mos.actors import Actor
from mos.models import AuditEntry, Membership
from mos.roles import Role

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "imports"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def channels(workspace):
    return {c.key: c for c in ensure_default_channels(workspace)}


def _upload(client, ws, name, kind, layout="auto", channel=None):
    data = {"kind": kind, "layout": layout,
            "file": SimpleUploadedFile(name, (DATA / name).read_bytes(), "text/csv")}
    if channel is not None:
        data["channel"] = str(channel.code)
    return client.post(reverse("imports", kwargs={"slug": ws.slug}), data)


def _job(ws) -> ImportJob:
    return ImportJob.objects.filter(workspace=ws).latest("created_at")


def _confirm(client, ws, job, capture):
    with capture(execute=True):
        resp = client.post(reverse("import_confirm", kwargs={"slug": ws.slug,
                                                             "import_code": job.code}))
    assert resp.status_code == 302
    job.refresh_from_db()
    return job


def _rows(name, kind, layout="auto"):
    with open(DATA / name, "rb") as f:
        shape = imports.inspect_file(f, kind=kind, layout=layout)
        return shape, [imports.read_row(shape, line, cells)
                       for line, cells in imports.iter_records(f, shape)]


# --- parsing: each layout's sample file, numbers checked by hand ------------------------------

@pytest.mark.parametrize("name", ["google_ads_campaign_report.csv",
                                  "google_ads_campaign_report_utf16.csv"])
def test_google_ads_report_parses_with_thousands_separators_and_skips_totals(name):
    shape, rows = _rows(name, "spend")
    assert shape.layout.key == "google_ads"
    assert shape.header_line == 3  # "Campaign report" and the date range come first
    assert shape.delimiter == ("\t" if "utf16" in name else ",")
    assert shape.encoding == ("utf-16" if "utf16" in name else "utf-8")
    assert shape.total_rows == 6  # the two "Total: …" footer rows are not data
    assert [r.line for r in rows] == [4, 5, 6, 7, 8, 9]
    first = rows[0].values
    assert first["date"] == "2026-11-01"
    assert first["campaign"] == "Brand - Search" and first["campaign_id"] == "18273645501"
    assert first["impressions"] == 1234 and first["clicks"] == 87
    assert first["amount"] == "12.50" and first["currency"] == "USD"
    assert rows[1].values["impressions"] == 12045 and rows[1].values["amount"] == "1204.30"
    assert rows[4].values["clicks"] == 0  # "--" means none
    assert sum(Decimal(r.values["amount"]) for r in rows) == Decimal("3376.95")
    assert shape.ignored == ["Campaign state", "Campaign type"]


def test_meta_ads_export_takes_currency_from_the_amount_header():
    shape, rows = _rows("meta_ads_export.csv", "spend")
    assert shape.layout.key == "meta_ads"
    assert shape.header_currency == "USD"
    assert rows[0].values == {"date_start": "2026-11-01", "date_end": "2026-11-01",
                              "campaign": "Ramadan Retargeting",
                              "campaign_id": "120208765432100001", "impressions": 15230,
                              "clicks": 412, "amount": "150.75"}
    assert rows[2].values["clicks"] == 0  # an empty "Link clicks" cell
    assert rows[3].values["amount"] == "2240.00"


def test_generic_files_map_their_columns():
    shape, rows = _rows("contacts.csv", "contacts")
    assert shape.layout.key == "contacts" and shape.encoding == "utf-8-sig"
    assert rows[0].values["external_id"] == "C-1001"
    assert rows[0].values["first_name"] == "Layla"
    shape, rows = _rows("orders.csv", "orders")
    assert dict((c, k) for c, k in shape.as_report()["mapping"])["Customer ID"] == "contact"
    assert rows[0].values["amount"] == "1250.00"
    assert rows[2].errors == {"amount": ["“abc” is not a number."]}
    assert rows[4].values["occurred_at"] == "2026-10-28T14:30:00"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "cp1252", "utf-8"])
def test_encodings_and_semicolons(tmp_path, encoding):
    text = "Email;Name;Company\r\nzoe@example.com;Zoé Müller;Café Ltd\r\n"
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode(encoding))  # no BOM
    with open(path, "rb") as f:
        shape = imports.inspect_file(f, kind="contacts")
        [(line, cells)] = list(imports.iter_records(f, shape))
    assert shape.delimiter == ";" and (line, cells) == (2, ["zoe@example.com", "Zoé Müller",
                                                             "Café Ltd"])


@pytest.mark.parametrize("raw,expected", [("1,234", "1234"), ("12.50", "12.50"),
                                          ("$1,234.50", "1234.50"), ("12,50", "12.50"),
                                          ("1 234", "1234"), ("--", ""), ("EUR 9.99", "9.99")])
def test_clean_number(raw, expected):
    assert imports.clean_number(raw) == expected


def test_dates_in_ad_platform_formats():
    assert imports.clean_date("Nov 3, 2026") == "2026-11-03"
    assert imports.clean_date("2026/11/03") == "2026-11-03"
    assert imports.clean_date("03/11/2026") is None  # day or month first? refuse, do not guess


# --- preview writes nothing; confirm imports valid rows and reports the rest -------------------

def test_contacts_preview_writes_nothing_then_confirm_imports(owner_client, workspace,
                                                              django_capture_on_commit_callbacks):
    before = Contact.objects.count()
    resp = _upload(owner_client, workspace, "contacts.csv", "contacts")
    assert resp.status_code == 302
    job = _job(workspace)
    assert job.status == "preview" and job.total_rows == 6
    assert Contact.objects.count() == before  # the preview rolled its writes back
    preview = job.report["preview"]
    assert (preview["checked"], preview["valid"], preview["invalid"]) == (6, 4, 2)
    assert [line for line, _e in preview["errors"]] == [4, 6]
    assert preview["errors"][0][1] == {"email": ["Enter a valid e-mail address."]}

    page = owner_client.get(resp.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nothing has been saved yet." in text and "Layla Haddad" in text
    assert "Enter a valid e-mail address." in text

    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    assert job.status == "done"
    assert (job.processed_rows, job.total_rows) == (6, 6)
    assert (job.created_rows, job.updated_rows, job.error_rows) == (4, 0, 2)
    assert [line for line, _e in job.report["errors"]] == [4, 6]
    assert Contact.objects.filter(workspace=workspace).count() == before + 4
    layla = Contact.objects.get(workspace=workspace, external_id="C-1001")
    assert (layla.name, layla.email, layla.country, layla.stage) == (
        "Layla Haddad", "layla.haddad@example.com", "AE", "lead")
    assert Contact.objects.get(workspace=workspace, external_id="C-1002").stage == "mql"
    assert AuditEntry.objects.filter(workspace=workspace, action="import.confirm").count() == 1

    csv_resp = owner_client.get(reverse("import_errors_csv", kwargs={
        "slug": workspace.slug, "import_code": job.code}))
    assert csv_resp.status_code == 200
    lines = b"".join(csv_resp.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("line,errors,External ID,Email")
    assert [ln.split(",")[0] for ln in lines[1:]] == ["4", "6"]
    # "Sweden" is a country name MOS knows
    assert Contact.objects.get(workspace=workspace, external_id="C-1006").country == "SE"


def test_contact_import_records_consent_columns(owner_client, workspace,
                                                django_capture_on_commit_callbacks):
    """Opt-in columns (Shopify's "Accepts Email Marketing", an "SMS Marketing Status") go
    to the consent ledger with the import as source; an answer that is not yes/no rejects
    its row with the reason; an empty cell records nothing."""
    from crm.models import Consent

    resp = _upload(owner_client, workspace, "contacts_consent.csv", "contacts")
    job = _job(workspace)
    assert job.status == "preview", job.report
    assert [line for line, _e in job.report["preview"]["errors"]] == [4]
    assert "“maybe” is not a consent answer" in owner_client.get(resp.url).content.decode()
    assert not Consent.objects.filter(workspace=workspace).exists()  # the preview saved none
    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    assert (job.created_rows, job.error_rows) == (3, 1)
    ledger = {(c.contact.email, c.channel): (c.status, c.lawful_basis, c.source)
              for c in Consent.objects.filter(workspace=workspace).select_related("contact")}
    assert {k: v[0] for k, v in ledger.items()} == {
        ("layla@example.com", "email"): "granted",
        ("omar@example.com", "email"): "withdrawn",
        ("omar@example.com", "sms"): "granted",
        ("sami@example.com", "sms"): "withdrawn"}
    assert {v[1] for v in ledger.values()} == {"consent"}
    assert all("import" in v[2] for v in ledger.values())
    assert not Contact.objects.filter(workspace=workspace, email="rana@example.com").exists()
    # the same file again: the ledger is a history of changes, nothing is appended
    _upload(owner_client, workspace, "contacts_consent.csv", "contacts")
    _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    assert Consent.objects.filter(workspace=workspace).count() == 4


def test_orders_reference_contacts_and_report_bad_rows(owner_client, workspace,
                                                       django_capture_on_commit_callbacks):
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    resp = _upload(owner_client, workspace, "orders.csv", "orders")
    assert resp.status_code == 302
    job = _job(workspace)
    assert Order.objects.count() == 0
    assert (job.report["preview"]["valid"], job.report["preview"]["invalid"]) == (3, 2)
    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    assert (job.status, job.created_rows, job.error_rows) == ("done", 3, 2)
    errors = dict((line, e) for line, e in job.report["errors"])
    assert errors == {4: {"amount": ["“abc” is not a number."]},
                      5: {"contact": ["Unknown contact."]}}
    o = Order.objects.get(workspace=workspace, external_id="O-5001")
    assert o.amount == Decimal("1250.00") and o.contact.external_id == "C-1001"
    assert Order.objects.get(external_id="O-5005").contact.external_id == "C-1001"  # by e-mail


def test_google_ads_import_creates_campaigns_under_the_chosen_channel(
        owner_client, workspace, channels, django_capture_on_commit_callbacks):
    paid_search = channels["paid_search"]
    resp = _upload(owner_client, workspace, "google_ads_campaign_report_utf16.csv", "spend",
                   channel=paid_search)
    assert resp.status_code == 302
    job = _job(workspace)
    assert job.layout == "google_ads"
    assert Spend.objects.count() == 0 and Campaign.objects.count() == 0  # preview only
    assert sorted(job.report["preview"]["new_campaigns"]) == ["Brand - Search",
                                                               "Generic - Search"]
    line, status, shown = job.report["preview"]["rows"][0]
    assert (line, status) == (4, "created")
    assert shown == {"date": "2026-11-01", "channel": "paid_search", "amount": "12.50",
                     "impressions": 1234, "clicks": 87, "campaign": "Brand - Search",
                     "currency": "USD", "file_rows": 1, "spread": ""}
    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    assert (job.status, job.created_rows, job.error_rows) == ("done", 6, 0)
    brand = Campaign.objects.get(workspace=workspace, external_id="18273645501")
    assert brand.channel == paid_search and brand.name == "Brand - Search"
    s = Spend.objects.get(workspace=workspace, date="2026-11-01", campaign=brand)
    assert (s.amount, s.impressions, s.clicks, s.source) == (Decimal("12.50"), 1234, 87,
                                                              "import:google_ads")
    assert sum(x.amount for x in Spend.objects.filter(workspace=workspace)) == Decimal("3376.95")

    # the same report again (comma-separated this time) changes nothing
    _upload(owner_client, workspace, "google_ads_campaign_report.csv", "spend",
            channel=paid_search)
    job = _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    assert (job.created_rows, job.updated_rows, job.report["unchanged"]) == (0, 0, 6)
    assert Spend.objects.filter(workspace=workspace).count() == 6
    assert Campaign.objects.filter(workspace=workspace).count() == 2


def test_meta_ads_import_refuses_rows_spanning_several_days(owner_client, workspace, channels,
                                                            django_capture_on_commit_callbacks):
    _upload(owner_client, workspace, "meta_ads_export.csv", "spend",
            channel=channels["paid_social"])
    job = _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    assert (job.status, job.created_rows, job.error_rows) == ("done", 3, 1)
    [[line, errors]] = job.report["errors"]
    assert line == 5 and "Export with the “Day” breakdown" in errors["date"][0]
    retargeting = Campaign.objects.get(workspace=workspace, external_id="120208765432100001")
    assert sorted(Spend.objects.filter(campaign=retargeting).values_list("amount", flat=True)
                  ) == [Decimal("149.20"), Decimal("150.75")]


def test_spend_in_another_currency_without_a_rate_is_refused_naming_the_rate(
        owner_client, workspace, channels):
    workspace.currency = "EUR"
    workspace.save()
    _upload(owner_client, workspace, "meta_ads_export.csv", "spend",
            channel=channels["paid_social"])
    preview = _job(workspace).report["preview"]
    assert preview["valid"] == 0
    assert "Add a USD→EUR rate for 2026-11-01 or earlier" in \
        preview["errors"][0][1]["currency"][0]
    page = owner_client.get(reverse("import_detail", kwargs={
        "slug": workspace.slug, "import_code": _job(workspace).code})).content.decode()
    assert "No row of this file can be imported." in page
    assert "/confirm/" not in page


def test_generic_spend_reports_unknown_channel_and_negative_amount(
        owner_client, workspace, channels, django_capture_on_commit_callbacks):
    _upload(owner_client, workspace, "spend.csv", "spend")
    job = _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    errors = dict((line, e) for line, e in job.report["errors"])
    assert errors == {5: {"channel": ["Unknown channel."]},
                      6: {"amount": ["Must not be negative."]}}
    assert job.created_rows == 3
    assert Campaign.objects.get(workspace=workspace, name="brand-search").channel.key == \
        "paid_search"


# --- bad files: a clear message, nothing written, never a 500 ---------------------------------

def test_wrong_columns_give_a_clear_error(owner_client, workspace, channels):
    resp = _upload(owner_client, workspace, "broken_columns.csv", "spend",
                   channel=channels["paid_search"])
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "No header row with the columns MOS needs" in text
    assert "Date · Amount" in text and "foo,bar,baz" in text
    assert not ImportJob.objects.exists()


def test_ad_platform_file_goes_to_its_own_channel_created_on_import(
        owner_client, workspace, channels, django_capture_on_commit_callbacks):
    resp = _upload(owner_client, workspace, "google_ads_campaign_report.csv", "spend")
    assert resp.status_code == 302
    job = _job(workspace)
    assert job.report["channel"] == "google_ads"
    assert not Channel.objects.filter(workspace=workspace, key="google_ads").exists()  # preview
    _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    google = Channel.objects.get(workspace=workspace, key="google_ads")
    assert (google.name, google.kind, google.is_paid) == ("Google Ads", "paid_search", True)
    assert Spend.objects.filter(workspace=workspace, channel=google).count() == 6


def test_generic_spend_file_needs_a_channel(owner_client, workspace, channels):
    resp = _upload(owner_client, workspace, "spend_no_channel.csv", "spend")
    assert resp.status_code == 400
    assert "Choose the channel this spend belongs to." in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_layout_for_another_kind_is_refused(owner_client, workspace):
    resp = _upload(owner_client, workspace, "contacts.csv", "contacts", layout="google_ads")
    assert resp.status_code == 400
    assert "This layout does not import contacts." in resp.content.decode()


def test_size_and_row_limits(owner_client, workspace, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    resp = _upload(owner_client, workspace, "contacts.csv", "contacts")
    assert resp.status_code == 400 and "split it into smaller files" in resp.content.decode()
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 10_000)
    monkeypatch.setattr(import_formats, "MAX_ROWS", 3)
    resp = _upload(owner_client, workspace, "contacts.csv", "contacts")
    assert resp.status_code == 400 and "more than 3 rows" in resp.content.decode()
    assert not ImportJob.objects.exists()


def test_undecodable_or_empty_file(owner_client, workspace):
    url = reverse("imports", kwargs={"slug": workspace.slug})
    resp = owner_client.post(url, {"kind": "contacts", "layout": "auto",
                                   "file": SimpleUploadedFile("e.csv", b"", "text/csv")})
    assert resp.status_code == 400
    resp = owner_client.post(url, {"kind": "contacts", "layout": "auto",
                                   "file": SimpleUploadedFile("e.csv", b"\n\n", "text/csv")})
    assert resp.status_code == 400 and "The file is empty." in resp.content.decode()


# --- the task: progress, idempotency, cancel, failure -----------------------------------------

def test_task_records_progress_after_each_chunk(owner_client, workspace, monkeypatch,
                                                django_capture_on_commit_callbacks):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    seen = []
    real = imports.run_chunk

    def spy(ctx, kind, shape, records, **kw):
        job = ImportJob.objects.get(workspace=workspace)
        seen.append((job.status, job.processed_rows))
        return real(ctx, kind, shape, records, **kw)

    _upload(owner_client, workspace, "contacts.csv", "contacts")
    monkeypatch.setattr(imports, "run_chunk", spy)
    job = _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    assert seen == [("running", 0), ("running", 2), ("running", 4)]
    assert (job.status, job.processed_rows, job.total_rows, job.percent) == ("done", 6, 6, 100)
    assert job.finished_at is not None


def test_task_runs_once_and_never_on_an_unconfirmed_job(owner_client, workspace,
                                                        django_capture_on_commit_callbacks):
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    job = _job(workspace)
    import_run(job.pk)  # not confirmed: nothing happens
    job.refresh_from_db()
    assert job.status == "preview" and Contact.objects.count() == 0
    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    import_run(job.pk)  # a second delivery finds the job already claimed
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.created_rows) == ("done", 6, 4)


def test_cancelled_preview_cannot_be_confirmed(owner_client, workspace,
                                               django_capture_on_commit_callbacks):
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    job = _job(workspace)
    kw = {"slug": workspace.slug, "import_code": job.code}
    assert owner_client.post(reverse("import_cancel", kwargs=kw)).status_code == 302
    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    assert job.status == "cancelled" and Contact.objects.count() == 0


def test_job_fails_with_a_message_when_its_author_left(workspace, member, owner_actor):
    with open(DATA / "contacts.csv", "rb") as f:
        upload = SimpleUploadedFile("contacts.csv", f.read(), "text/csv")
    actor = Actor.for_member(Membership.objects.get(user=member))
    job = imports.import_job_create(actor=actor, kind="contacts", upload=upload)
    ImportJob.objects.filter(pk=job.pk).update(status="queued")
    Membership.objects.filter(user=member).delete()
    import_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "no longer a member" in job.error
    assert Contact.objects.count() == 0


def test_progress_partial_polls_only_while_running(owner_client, workspace):
    with open(DATA / "contacts.csv", "rb") as f:
        upload = SimpleUploadedFile("contacts.csv", f.read(), "text/csv")
    job = imports.import_job_create(
        actor=Actor.for_member(Membership.objects.get(workspace=workspace)), kind="contacts",
        upload=upload)
    url = reverse("import_progress", kwargs={"slug": workspace.slug, "import_code": job.code})
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=3)
    body = owner_client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in body and "3 of 6 rows · 50%" in body
    assert 'aria-valuenow="50"' in body
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=6)
    body = owner_client.get(url).content.decode()
    assert "hx-trigger" not in body and "6 of 6 rows · 100%" in body


# --- roles and tenancy --------------------------------------------------------------------------

def test_viewer_gets_403_and_writes_nothing(workspace, add_member, client_for):
    viewer = client_for(add_member(Role.VIEWER))
    url = reverse("imports", kwargs={"slug": workspace.slug})
    assert viewer.get(url).status_code == 403
    resp = viewer.post(url, {"kind": "contacts", "layout": "auto",
                             "file": SimpleUploadedFile("c.csv", (DATA / "contacts.csv")
                                                        .read_bytes())})
    assert resp.status_code == 403
    assert not ImportJob.objects.exists()


def test_analyst_cannot_confirm(owner_client, workspace, add_member, client_for):
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    job = _job(workspace)
    analyst = client_for(add_member(Role.ANALYST))
    kw = {"slug": workspace.slug, "import_code": job.code}
    assert analyst.post(reverse("import_confirm", kwargs=kw)).status_code == 403
    assert analyst.get(reverse("import_detail", kwargs=kw)).status_code == 403
    job.refresh_from_db()
    assert job.status == "preview"


def test_marketer_may_import(member_client, workspace):
    resp = _upload(member_client, workspace, "contacts.csv", "contacts")
    assert resp.status_code == 302
    assert member_client.get(reverse("imports", kwargs={"slug": workspace.slug})
                             ).status_code == 200


def test_outsider_gets_404(owner_client, outsider_client, workspace):
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    job = _job(workspace)
    kw = {"slug": workspace.slug, "import_code": job.code}
    for name in ("import_detail", "import_progress", "import_errors_csv"):
        assert outsider_client.get(reverse(name, kwargs=kw)).status_code == 404
    for name in ("import_confirm", "import_cancel"):
        assert outsider_client.post(reverse(name, kwargs=kw)).status_code == 404
    job.refresh_from_db()
    assert job.status == "preview"


def test_list_page_shows_earlier_imports(owner_client, workspace):
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    resp = owner_client.get(reverse("imports", kwargs={"slug": workspace.slug}))
    assert resp.status_code == 200
    assert "contacts.csv" in resp.content.decode()


def test_stripe_subscriptions_export_is_recognised_and_imported(
        owner_client, workspace, django_capture_on_commit_callbacks):
    """Stripe's Billing → Subscriptions export: the layout is detected from its headers, the
    price per interval × quantity becomes MRR (1,200 a year × 3 seats = 300 a month; 12 a week
    = 52.00 a month), its times are UTC, the customer is found by e-mail or by Customer ID
    (the contact's external id), and bad rows are reported with their line."""
    from datetime import datetime, timezone as dt_tz

    from crm.models import Subscription

    _upload(owner_client, workspace, "contacts.csv", "contacts")
    _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    assert _upload(owner_client, workspace, "stripe_subscriptions.csv",
                   "subscriptions").status_code == 302
    job = _job(workspace)
    assert job.layout == "stripe_subscriptions"
    job = _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)
    assert (job.status, job.created_rows, job.error_rows) == ("done", 3, 2)
    errors = dict((line, e) for line, e in job.report["errors"])
    assert errors[5] == {"contact": ["Unknown contact."]}
    assert set(errors[6]) == {"amount", "currency"}
    subs = {s.external_id: s for s in Subscription.objects.filter(workspace=workspace)}
    pro = subs["sub_1OaA"]
    assert (pro.mrr, pro.plan, pro.status, pro.contact.external_id) == (
        Decimal("49.00"), "price_pro_monthly", "active", "C-1001")
    assert pro.started_at == datetime(2026, 1, 5, 10, 0, tzinfo=dt_tz.utc)
    team = subs["sub_1ObB"]
    assert (team.mrr, team.quantity, team.status) == (Decimal("300.00"), 3, "cancelled")
    assert team.ended_at == datetime(2026, 2, 10, 9, 0, tzinfo=dt_tz.utc)
    weekly = subs["sub_1OcC"]
    assert (weekly.mrr, weekly.status) == (Decimal("52.00"), "trialing")
    assert weekly.trial_end == datetime(2026, 3, 15, tzinfo=dt_tz.utc)


# --- issue 8 item 3: a killed worker, a lost task ------------------------------------------

def _killed_at_chunk(owner_client, workspace, monkeypatch, capture, k):
    """An import whose worker was killed (-9) after committing k chunks of 2 rows."""
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    _upload(owner_client, workspace, "contacts.csv", "contacts")
    job = _job(workspace)
    real = imports.run_chunk
    calls = []

    class Killed(BaseException):  # not an Exception: the except clause never sees it
        pass

    def dies(ctx, kind, shape, records, **kw):
        calls.append(records[0][0])
        if len(calls) > k:
            raise Killed
        return real(ctx, kind, shape, records, **kw)

    monkeypatch.setattr(imports, "run_chunk", dies)
    with pytest.raises(Killed):
        _confirm(owner_client, workspace, job, capture)
    monkeypatch.setattr(imports, "run_chunk", real)
    job.refresh_from_db()
    ImportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    return job


def test_an_import_killed_at_chunk_k_resumes_after_it(owner_client, workspace, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    job = _killed_at_chunk(owner_client, workspace, monkeypatch,
                           django_capture_on_commit_callbacks, 1)
    assert (job.status, job.committed_rows, job.processed_rows) == ("running", 2, 2)
    assert job.interrupted
    page = owner_client.get(reverse("import_progress", kwargs={
        "slug": workspace.slug, "import_code": job.code})).content.decode()
    assert "Interrupted — retrying" in page and "Retry now" in page
    seen = []
    real = imports.run_chunk

    def spy(ctx, kind, shape, records, **kw):
        seen.append([line for line, _cells in records])
        return real(ctx, kind, shape, records, **kw)

    monkeypatch.setattr(imports, "run_chunk", spy)
    import_run.apply(args=(job.pk,))  # the redelivered task (or the sweep) takes it over
    job.refresh_from_db()
    assert len(seen) == 2  # chunks 2 and 3 only: chunk 1 was committed before the kill
    assert (job.status, job.processed_rows, job.attempts) == ("done", 6, 2)
    assert job.created_rows + job.updated_rows + job.error_rows == 6


def test_retry_button_resends_an_interrupted_import(owner_client, workspace, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    job = _killed_at_chunk(owner_client, workspace, monkeypatch,
                           django_capture_on_commit_callbacks, 2)
    resp = owner_client.post(reverse("import_retry", kwargs={
        "slug": workspace.slug, "import_code": job.code}))
    assert resp.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.processed_rows) == ("done", 6)


def test_broker_down_on_confirm_leaves_the_import_queued_for_the_sweep(
        owner_client, workspace, monkeypatch, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone
    from kombu.exceptions import OperationalError

    def down(*a, **kw):
        raise OperationalError("Connection refused")

    _upload(owner_client, workspace, "contacts.csv", "contacts")
    job = _job(workspace)
    monkeypatch.setattr(import_run, "apply_async", down)
    _confirm(owner_client, workspace, job, django_capture_on_commit_callbacks)  # no 500
    assert job.status == "queued"
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    sent = []
    monkeypatch.setattr(import_run, "apply_async", lambda args: sent.append(args[0]))
    assert imports.import_jobs_resend_lost() == [job.pk] and sent == [job.pk]


def test_import_errors_read_in_the_readers_language(owner_client, workspace,
                                                    django_capture_on_commit_callbacks):
    """Issue 12: an import run while Arabic is active stores its row errors in English (the
    msgid, parameters filled in); the report shows them in each reader's language."""
    from django.utils import translation

    _upload(owner_client, workspace, "contacts.csv", "contacts")
    _confirm(owner_client, workspace, _job(workspace), django_capture_on_commit_callbacks)
    owner_client.cookies["django_language"] = "ar"
    with translation.override("ar"):
        _upload(owner_client, workspace, "orders.csv", "orders")
        job = _confirm(owner_client, workspace, _job(workspace),
                       django_capture_on_commit_callbacks)
    errors = dict((line, e) for line, e in job.report["errors"])
    assert errors == {4: {"amount": ["“abc” is not a number."]},
                      5: {"contact": ["Unknown contact."]}}  # stored in English
    url = reverse("import_detail", kwargs={"slug": workspace.slug, "import_code": job.code})
    with translation.override("ar"):
        not_a_number = gettext("“%(v)s” is not a number.") % {"v": "abc"}
        unknown = gettext("Unknown contact.")
    assert unknown != "Unknown contact." and "abc" in not_a_number
    arabic = owner_client.get(url, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert unknown in arabic and not_a_number in arabic
    assert "Unknown contact." not in arabic
    owner_client.cookies["django_language"] = "en"
    english = owner_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Unknown contact." in english and "“abc” is not a number." in english
    assert unknown not in english
