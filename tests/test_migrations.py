"""A database populated under the previous layout (Channel, Campaign and Spend in `engines`)
migrates forward to the new one (those models in `crm`) with every row and every link kept.
Runs on whichever database the suite uses (SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The leaves of the previous main, before the move.
OLD = [("mos", "0001_initial"), ("crm", "0007_contact_filter_sort_indexes"),
       ("engines", "0003_channel_restrict")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_populated_database_migrates_forward_keeping_every_row():
    new = _leaves()
    old_apps = _migrate(OLD)
    Workspace = old_apps.get_model("mos", "Workspace")
    Channel = old_apps.get_model("engines", "Channel")
    Campaign = old_apps.get_model("engines", "Campaign")
    Spend = old_apps.get_model("engines", "Spend")
    Contact = old_apps.get_model("crm", "Contact")
    Event = old_apps.get_model("crm", "Event")
    KPI = old_apps.get_model("engines", "KPI")
    AuditEntry = old_apps.get_model("mos", "AuditEntry")

    ws = Workspace.objects.create(slug="old", name="Old Co")
    other = Workspace.objects.create(slug="other", name="Other Co")
    ads = Channel.objects.create(workspace=ws, key="google_ads", name="Google Ads",
                                 is_paid=True, utm_sources=["google"])
    seo = Channel.objects.create(workspace=ws, key="seo", name="SEO")
    Channel.objects.create(workspace=other, key="seo", name="Their SEO")
    spring = Campaign.objects.create(workspace=ws, channel=ads, name="Spring",
                                     utm_campaign="spring")
    for day in (1, 2, 3):
        Spend.objects.create(workspace=ws, channel=ads, campaign=spring,
                             date=dt.date(2026, 3, day), amount=Decimal("100.50"), clicks=day)
    Spend.objects.create(workspace=ws, channel=seo, date=dt.date(2026, 3, 1), amount=0)
    contact = Contact.objects.create(workspace=ws, email="a@x.test", source_channel=ads,
                                     source_campaign=spring)
    Event.objects.create(workspace=ws, contact=contact, name="signup", channel=ads,
                         campaign=spring, occurred_at=timezone.now())
    KPI.objects.create(workspace=ws, name="Ads CAC", metric_key="cac", scope="channel",
                       channel=ads)
    AuditEntry.objects.create(workspace=ws, action="channel.create",
                              object_type="engines.channel", object_repr="Google Ads")

    new_apps = _migrate(new)

    Channel = new_apps.get_model("crm", "Channel")
    Spend = new_apps.get_model("crm", "Spend")
    Contact = new_apps.get_model("crm", "Contact")
    assert Channel.objects.count() == 3
    assert new_apps.get_model("crm", "Campaign").objects.get().channel.key == "google_ads"
    assert Spend.objects.filter(channel__key="google_ads").count() == 3
    assert sum(s.amount for s in Spend.objects.all()) == Decimal("301.50")
    c = Contact.objects.get()
    assert (c.source_channel.key, c.source_campaign.name) == ("google_ads", "Spring")
    assert new_apps.get_model("crm", "Event").objects.get().channel.name == "Google Ads"
    assert new_apps.get_model("engines", "KPI").objects.get().channel.key == "google_ads"
    # the audit log follows the model to its new app
    assert new_apps.get_model("mos", "AuditEntry").objects.get().object_type == "crm.channel"
    # and the current code reads the same rows
    from crm.models import Channel as CurrentChannel
    from crm.models import Spend as CurrentSpend

    assert set(CurrentChannel.objects.values_list("workspace__slug", "key")) == {
        ("old", "google_ads"), ("old", "seo"), ("other", "seo")}
    assert CurrentSpend.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_the_move_migrates_back_and_forth_with_its_content_types():
    from django.contrib.contenttypes.models import ContentType

    def labels():
        return set(ContentType.objects.filter(model__in=["channel", "campaign", "spend"])
                   .values_list("app_label", flat=True))

    new = _leaves()
    assert labels() == {"crm"}
    _migrate(OLD)
    assert labels() == {"engines"}
    _migrate(new)
    assert labels() == {"crm"}


@pytest.mark.django_db(transaction=True)
def test_events_and_spend_stored_before_codes_get_one_distinct_code_each(monkeypatch):
    """crm 0012-0014: a nullable column, a batched backfill, then unique — never one default
    UUID shared by every stored row. The batch is made small so several batches run."""
    import importlib

    backfill = importlib.import_module("crm.migrations.0013_event_spend_code_backfill")
    monkeypatch.setattr(backfill, "BATCH", 3)
    new = _leaves()
    old_apps = _migrate([("crm", "0011_amounts_hold_the_currency_minor_units")])
    Workspace = old_apps.get_model("mos", "Workspace")
    Event = old_apps.get_model("crm", "Event")
    Spend = old_apps.get_model("crm", "Spend")
    Channel = old_apps.get_model("crm", "Channel")
    ws = Workspace.objects.create(slug="codes", name="Codes Co")
    seo = Channel.objects.create(workspace=ws, key="seo", name="SEO")
    at = timezone.now()
    Event.objects.bulk_create([Event(workspace=ws, anonymous_id=f"a{i}", name="page_view",
                                     occurred_at=at) for i in range(8)])
    Spend.objects.bulk_create([Spend(workspace=ws, channel=seo, amount=Decimal("1.50"),
                                     date=dt.date(2026, 1, 1) + dt.timedelta(days=i))
                               for i in range(5)])
    new_apps = _migrate(new)
    for name, n in (("Event", 8), ("Spend", 5)):
        codes = list(new_apps.get_model("crm", name).objects.values_list("code", flat=True))
        assert len(codes) == n and None not in codes and len(set(codes)) == n
