"""CRM write services: stage history, consent ledger, lead feedback, merges, definitions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crm import selectors, services
from crm.models import (
    Consent,
    Contact,
    ContactMerge,
    Event,
    LeadFeedback,
    LifecycleStage,
    Order,
    StageChange,
)
from mos.actors import Actor
from mos.models import AuditEntry, Membership
from mos.roles import Role


@pytest.fixture
def actor(owner_actor):
    return owner_actor


def actor_for(user, workspace):
    return Actor.for_member(Membership.objects.get(user=user, workspace=workspace))


def test_contact_create_lowercases_email_and_writes_first_stage_change(actor, owner):
    c = services.contact_create(actor=actor, email="  Layla@Example.COM ", name="Layla",
                                stage="lead")
    assert c.email == "layla@example.com"
    assert c.stage == "lead" and c.stage_changed_at is not None
    [sc] = StageChange.objects.filter(contact=c)
    assert (sc.from_stage, sc.to_stage, sc.by) == ("", "lead", owner)
    assert AuditEntry.objects.filter(action="contact.create", object_code=str(c.code)).exists()


def test_contact_create_without_stage_writes_no_history(actor):
    c = services.contact_create(actor=actor, email="a@x.test")
    assert c.stage == "subscriber"
    assert not StageChange.objects.filter(contact=c).exists()


def test_contact_create_duplicate_email_is_a_field_error(actor):
    services.contact_create(actor=actor, email="a@x.test")
    with pytest.raises(ValidationError) as e:
        services.contact_create(actor=actor, email="A@x.test")
    assert "email" in e.value.message_dict
    assert Contact.objects.count() == 1


def test_contact_create_refuses_other_workspace_persona(actor, other_workspace, outsider):
    foreign = services.persona_create(actor=actor_for(outsider, other_workspace), name="X")
    with pytest.raises(ValidationError) as e:
        services.contact_create(actor=actor, email="a@x.test", persona=foreign)
    assert "persona" in e.value.message_dict


def test_contact_create_refuses_owner_who_is_not_a_member(actor, outsider):
    with pytest.raises(ValidationError) as e:
        services.contact_create(actor=actor, email="a@x.test", owner=outsider)
    assert "owner" in e.value.message_dict


def test_contact_update_audits_diff_and_refuses_stage(actor):
    c = services.contact_create(actor=actor, email="a@x.test", name="Old")
    services.contact_update(actor=actor, contact=c, name="New", city="Jeddah")
    entry = AuditEntry.objects.get(action="contact.update")
    assert entry.changes == {"name": ["Old", "New"], "city": ["", "Jeddah"]}
    with pytest.raises(ValueError):
        services.contact_update(actor=actor, contact=c, stage="customer")
    c.refresh_from_db()
    assert c.stage == "subscriber"


def test_stage_history_keeps_backwards_moves(actor):
    c = services.contact_create(actor=actor, email="a@x.test", stage="lead")
    t0 = timezone.now()
    for i, stage in enumerate(["mql", "sql", "customer", "churned", "customer"]):
        services.contact_change_stage(actor=actor, contact=c, to_stage=stage,
                                      at=t0 + timedelta(days=i), reason=f"step {i}")
    c.refresh_from_db()
    assert c.stage == "customer"
    assert c.stage_changed_at == t0 + timedelta(days=4)
    moves = list(StageChange.objects.filter(contact=c).values_list("from_stage", "to_stage"))
    assert moves == [("", "lead"), ("lead", "mql"), ("mql", "sql"), ("sql", "customer"),
                     ("customer", "churned"), ("churned", "customer")]
    assert AuditEntry.objects.filter(action="contact.stage_change").count() == 5


def test_same_stage_or_unknown_stage_is_refused(actor):
    c = services.contact_create(actor=actor, email="a@x.test", stage="lead")
    with pytest.raises(ValidationError):
        services.contact_change_stage(actor=actor, contact=c, to_stage="lead")
    with pytest.raises(ValidationError):
        services.contact_change_stage(actor=actor, contact=c, to_stage="king")
    assert StageChange.objects.filter(contact=c).count() == 1


def test_stale_contact_object_still_records_the_true_from_stage(actor):
    c = services.contact_create(actor=actor, email="a@x.test", stage="lead")
    stale = Contact.objects.get(pk=c.pk)
    services.contact_change_stage(actor=actor, contact=c, to_stage="mql")
    sc = services.contact_change_stage(actor=actor, contact=stale, to_stage="sql")
    assert sc.from_stage == "mql"


def test_consent_current_state_is_the_latest_row_per_channel(actor, workspace):
    c = services.contact_create(actor=actor, email="a@x.test")
    other = services.contact_create(actor=actor, email="b@x.test")
    t0 = timezone.now() - timedelta(days=10)
    services.consent_record(actor=actor, contact=c, channel="email", status="granted",
                            source="form", at=t0)
    services.consent_record(actor=actor, contact=c, channel="email", status="withdrawn",
                            source="unsubscribe link", at=t0 + timedelta(days=2))
    services.consent_record(actor=actor, contact=c, channel="sms", status="granted",
                            at=t0 + timedelta(days=1))
    # recorded later but happened earlier: not the current state
    services.consent_record(actor=actor, contact=c, channel="email", status="granted",
                            source="old paper form", at=t0 - timedelta(days=30))
    services.consent_record(actor=actor, contact=other, channel="email", status="granted",
                            at=t0)
    state = selectors.current_consent(c)
    assert state["email"].status == "withdrawn" and state["email"].source == "unsubscribe link"
    assert state["sms"].status == "granted"
    assert state["push"] is None and state["phone"] is None
    assert Consent.objects.filter(contact=c).count() == 4  # append-only
    many = selectors.consent_state_for(workspace, [c.pk, other.pk])
    assert many[c.pk]["email"].status == "withdrawn"
    assert many[other.pk]["email"].status == "granted"
    assert many[other.pk]["sms"] is None
    assert selectors.has_consent(c, "email") is False
    assert selectors.has_consent(c, "sms") is True


def test_consent_rejects_unknown_channel(actor):
    c = services.contact_create(actor=actor, email="a@x.test")
    with pytest.raises(ValidationError):
        services.consent_record(actor=actor, contact=c, channel="fax", status="granted")
    assert not Consent.objects.exists()


def test_feedback_only_by_the_owning_rep(actor, add_member, workspace):
    rep = add_member(Role.SALES_REP)
    other_rep = add_member(Role.SALES_REP, email="rep2@acme.test")
    lead = services.contact_create(actor=actor, email="a@x.test", owner=rep, stage="sql")
    fb = services.lead_feedback_create(actor=actor_for(rep, workspace), contact=lead,
                                       quality=4, outcome="accepted", reason="budget")
    assert (fb.rep, fb.quality, fb.contact) == (rep, 4, lead)
    with pytest.raises(PermissionDenied):
        services.lead_feedback_create(actor=actor_for(other_rep, workspace), contact=lead,
                                      quality=2, outcome="rejected")
    assert LeadFeedback.objects.count() == 1
    assert AuditEntry.objects.filter(action="lead_feedback.create").count() == 1


@pytest.mark.parametrize("quality", [0, 6, "x", None])
def test_feedback_quality_must_be_1_to_5(actor, quality):
    lead = services.contact_create(actor=actor, email="a@x.test", stage="lead")
    with pytest.raises(ValidationError) as e:
        services.lead_feedback_create(actor=actor, contact=lead, quality=quality,
                                      outcome="accepted")
    assert "quality" in e.value.message_dict
    assert not LeadFeedback.objects.exists()


def test_merge_keeps_every_related_row_and_records_it(actor, workspace, add_member):
    rep = add_member(Role.SALES_REP)
    survivor = services.contact_create(actor=actor, email="layla@x.test", name="",
                                       stage="lead", properties={"a": 1})
    merged = services.contact_create(actor=actor, phone="+966500000001", name="Layla H",
                                     external_id="crm-1", owner=rep, stage="mql",
                                     properties={"a": 2, "b": 3})
    now = timezone.now()
    Event.objects.create(workspace=workspace, contact=merged, name="page_view", occurred_at=now)
    Event.objects.create(workspace=workspace, contact=merged, name="signup", occurred_at=now)
    Order.objects.create(workspace=workspace, contact=merged, amount=Decimal("10"),
                         currency="SAR", occurred_at=now)
    services.consent_record(actor=actor, contact=merged, channel="sms", status="granted")
    services.contact_change_stage(actor=actor, contact=merged, to_stage="sql")
    services.lead_feedback_create(actor=actor, contact=merged, quality=3, outcome="no_answer")
    merged_code = merged.code

    record = services.contacts_merge(actor=actor, survivor=survivor, merged=merged,
                                     matched_on="phone")

    assert not Contact.objects.filter(code=merged_code).exists()
    assert Event.objects.filter(contact=survivor).count() == 2
    assert Order.objects.filter(contact=survivor).count() == 1
    assert Consent.objects.filter(contact=survivor).count() == 1
    # survivor's own '' → lead, plus merged's '' → mql and mql → sql
    assert StageChange.objects.filter(contact=survivor).count() == 3
    assert LeadFeedback.objects.filter(contact=survivor).count() == 1
    assert record.moved == {"events": 2, "orders": 1, "consents": 1, "stage_changes": 2,
                            "feedback": 1, "merges": 0, "activities": 0, "subscriptions": 0,
                            "enrollments": 0, "messages": 0, "automation_tasks": 0,
                            "insights": 0}
    assert record.merged_code == merged_code and record.matched_on == "phone"
    assert record.merged_snapshot["phone"] == "+966500000001"
    survivor.refresh_from_db()
    # blanks filled from the merged contact, the survivor's own values kept
    assert (survivor.email, survivor.phone, survivor.name, survivor.external_id) == (
        "layla@x.test", "+966500000001", "Layla H", "crm-1")
    assert survivor.owner == rep
    assert survivor.properties == {"a": 1, "b": 3}
    assert survivor.stage == "lead"
    assert ContactMerge.objects.filter(survivor=survivor).count() == 1
    assert AuditEntry.objects.filter(action="contact.merge").count() == 1
    kinds = {i["kind"] for i in selectors.contact_timeline(survivor)}
    assert kinds == {"stage", "event", "order", "consent", "feedback", "merge"}


def test_merge_takes_over_unique_email_of_merged(actor):
    survivor = services.contact_create(actor=actor, phone="+1555")
    merged = services.contact_create(actor=actor, email="same@x.test")
    services.contacts_merge(actor=actor, survivor=survivor, merged=merged, matched_on="phone")
    survivor.refresh_from_db()
    assert survivor.email == "same@x.test"


def test_merge_into_itself_is_refused(actor):
    c = services.contact_create(actor=actor, email="a@x.test")
    with pytest.raises(ValidationError):
        services.contacts_merge(actor=actor, survivor=c, merged=c, matched_on="email")


def test_lifecycle_stages_are_read_without_writing_and_stored_on_first_edit(workspace, actor):
    assert not LifecycleStage.objects.filter(workspace=workspace).exists()
    stages = selectors.lifecycle_stages(workspace)
    assert not LifecycleStage.objects.filter(workspace=workspace).exists()  # a read writes nothing
    assert [s.key for s in stages] == ["subscriber", "lead", "mql", "sql", "opportunity",
                                       "customer", "advocate", "churned", "other"]
    by_key = {s.key: s for s in stages}
    assert by_key["mql"].name == "Marketing-qualified lead (MQL)"
    assert by_key["lead"].definition and by_key["sql"].definition
    assert by_key["customer"].definition == ""
    services.lifecycle_stage_update(actor=actor, stage=by_key["mql"], name="MQL",
                                    definition="Asked for a demo.")
    again = selectors.lifecycle_stages(workspace)
    assert len(again) == 9 and LifecycleStage.objects.filter(workspace=workspace).count() == 9
    assert selectors.stage_names(workspace)["mql"] == "MQL"


def test_segment_filters_validated_and_applied(actor, workspace, add_member):
    rep = add_member(Role.SALES_REP)
    acc = services.account_create(actor=actor, name="Big Co", plan="pro")
    persona = services.persona_create(actor=actor, name="Ops")
    a = services.contact_create(actor=actor, email="a@x.test", stage="mql", country="SA",
                                account=acc, persona=persona, properties={"tier": "gold"},
                                owner=rep)
    services.contact_create(actor=actor, email="b@x.test", stage="mql", country="AE",
                            account=acc)
    services.contact_create(actor=actor, email="c@x.test", stage="lead", country="SA")
    seg = services.segment_create(actor=actor, name="SA MQL", filters={
        "stage": ["mql"], "country": ["sa"], "plan": ["pro"], "persona": [str(persona.code)],
        "properties": {"tier": "gold"}, "owner": "Sales_Rep@acme.test"})
    assert seg.filters["country"] == ["SA"]
    assert list(selectors.segment_queryset(workspace, seg.filters)) == [a]
    assert list(selectors.contact_list(workspace, segment=seg.code)) == [a]
    with pytest.raises(ValidationError) as e:
        services.segment_create(actor=actor, name="bad", filters={"stage": ["king"],
                                                                  "colour": ["red"]})
    assert "filters" in e.value.message_dict


def test_contact_list_search_and_filters(actor, workspace):
    services.contact_create(actor=actor, email="layla@haddad.test", name="Layla Haddad",
                            company="Haddad Trading", phone="+966501")
    services.contact_create(actor=actor, email="omar@x.test", name="Omar", stage="lead",
                            customer_type="loyal")
    emails = lambda **kw: sorted(c.email for c in selectors.contact_list(workspace, **kw))  # noqa: E731
    assert emails(q="hadd") == ["layla@haddad.test"]
    assert emails(q="trading") == ["layla@haddad.test"]
    assert emails(q="OMAR@") == ["omar@x.test"]
    assert emails(q="+9665") == ["layla@haddad.test"]
    assert emails(q="x.test") == []  # e-mail is matched by prefix, not substring
    assert emails(stage="lead") == ["omar@x.test"]
    assert emails(stage="lead,subscriber") == ["layla@haddad.test", "omar@x.test"]
    assert emails(customer_type=["loyal"]) == ["omar@x.test"]
    assert emails(owner="none") == ["layla@haddad.test", "omar@x.test"]
    assert emails(segment="not-a-code") == []


def test_leads_for_rep_only_their_open_leads(actor, workspace, add_member):
    rep = add_member(Role.SALES_REP)
    mine = services.contact_create(actor=actor, email="a@x.test", owner=rep, stage="sql")
    services.contact_create(actor=actor, email="b@x.test", owner=rep, stage="customer")
    services.contact_create(actor=actor, email="c@x.test", stage="sql")
    assert list(selectors.leads_for_rep(workspace, rep)) == [mine]
