"""Writes of the content calendar, its feed secret and campaign plans (audited, validated)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mos.actors import Actor
from mos.audit import audit
from mos.writes import audited_create, audited_update

from .models import CalendarFeed, CampaignPlan, ContentItem, new_feed_token

ITEM_FIELDS = ["title", "channel", "status", "publish_on", "publish_time", "owner", "persona",
               "segment", "campaign", "brief", "url"]
PLAN_FIELDS = ["campaign", "market", "segment", "persona", "message", "target_leads",
               "target_customers", "target_revenue", "owner"]
REVIEW_FIELDS = ["expected", "happened", "why", "next_steps"]


def _same_workspace(obj, fields: list[str]) -> None:
    """Every related row named by `fields` belongs to obj's workspace (owner: a member)."""
    errors = {}
    for f in fields:
        rel = getattr(obj, f, None)
        if rel is None:
            continue
        if f == "owner":
            if not rel.memberships.filter(workspace_id=obj.workspace_id).exists():
                errors[f] = [_("Not a member of this workspace.")]
        elif rel.workspace_id != obj.workspace_id:
            errors[f] = [_("Not found in this workspace.")]
    if errors:
        raise ValidationError(errors)


def _check_item(item: ContentItem) -> None:
    _same_workspace(item, ["channel", "owner", "persona", "segment", "campaign"])
    item.full_clean(validate_constraints=False)


@transaction.atomic
def content_item_create(*, actor: Actor, **fields) -> ContentItem:
    """Put a piece of content on the calendar."""
    return audited_create(actor, ContentItem, ITEM_FIELDS, "content.create", dict(fields),
                          validate=_check_item)


@transaction.atomic
def content_item_update(*, actor: Actor, item: ContentItem, **fields) -> ContentItem:
    fields = dict(fields)
    item.updated_at = timezone.now()  # the feed's DTSTAMP / LAST-MODIFIED
    item = audited_update(actor, item, ITEM_FIELDS, "content.update", fields,
                          validate=_check_item)
    ContentItem.objects.filter(pk=item.pk).update(updated_at=item.updated_at)
    return item


@transaction.atomic
def content_item_delete(*, actor: Actor, item: ContentItem) -> None:
    audit(actor, "content.delete", item, changes={"title": item.title})
    item.delete()


def calendar_feed(workspace) -> CalendarFeed:
    """The workspace's feed secret (made on first use)."""
    feed, _created = CalendarFeed.objects.get_or_create(workspace=workspace)
    return feed


@transaction.atomic
def calendar_feed_regenerate(*, actor: Actor) -> CalendarFeed:
    """A new secret: every calendar subscribed with the old URL stops updating."""
    feed = calendar_feed(actor.workspace)
    feed.token = new_feed_token()
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    audit(actor, "content.feed_regenerate", None, object_type="calendar feed",
          object_repr=actor.workspace.name)
    return feed


def _check_plan(plan: CampaignPlan) -> None:
    _same_workspace(plan, ["campaign", "segment", "persona", "owner"])
    if plan.campaign_id and CampaignPlan.objects.filter(campaign_id=plan.campaign_id).exclude(
            pk=plan.pk).exists():
        raise ValidationError({"campaign": [_("This campaign has a plan already.")]})
    plan.full_clean(validate_constraints=False, validate_unique=False)


@transaction.atomic
def campaign_plan_create(*, actor: Actor, **fields) -> CampaignPlan:
    """Plan a campaign: market, segment, persona, message and targets."""
    return audited_create(actor, CampaignPlan, PLAN_FIELDS + REVIEW_FIELDS, "campaign_plan.create",
                          dict(fields), validate=_check_plan)


@transaction.atomic
def campaign_plan_update(*, actor: Actor, plan: CampaignPlan, **fields) -> CampaignPlan:
    fields = dict(fields)
    if "campaign" in fields and fields["campaign"] != plan.campaign:
        raise ValidationError({"campaign": [_("A plan stays with its campaign.")]})
    fields.pop("campaign", None)
    if any(fields.get(f) for f in REVIEW_FIELDS) and plan.reviewed_at is None:
        plan.reviewed_at = timezone.now()
        fields_to_save = {**fields}
        plan = audited_update(actor, plan, PLAN_FIELDS + REVIEW_FIELDS, "campaign_plan.update",
                              fields_to_save, validate=_check_plan)
        CampaignPlan.objects.filter(pk=plan.pk).update(reviewed_at=plan.reviewed_at)
        return plan
    return audited_update(actor, plan, PLAN_FIELDS + REVIEW_FIELDS, "campaign_plan.update",
                          fields, validate=_check_plan)
