"""Working the contacts list (issue 15): bulk actions with their before-image (for Undo),
hand-made segment membership, and saved views of the list. Imported by crm.models."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.leases import LeasedJob
from mos.models import Workspace


def _code():
    return uuid.uuid4()


class SegmentMember(models.Model):
    """A contact added to (included) or taken out of (excluded) a segment by hand, on top of
    the segment's filters. A segment without filters holds only its added contacts (a list)."""

    segment = models.ForeignKey("crm.Segment", on_delete=models.CASCADE,
                                related_name="manual_members")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    included = models.BooleanField(default=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "contact"],
                                               name="segment_member_unique")]
        indexes = [models.Index(fields=["segment", "included"], name="segment_member_in")]


class BulkAction(LeasedJob):
    """One bulk action over a selection of contacts: assign an owner, change the stage, add to
    or remove from a segment. Large selections run as a job with a lease (mos.leases)."""

    LEASE_RUNNING, LEASE_READY = "running", "queued"

    class Kind(models.TextChoices):
        ASSIGN_OWNER = "assign_owner", _("Assign owner")
        CHANGE_STAGE = "change_stage", _("Change stage")
        SEGMENT_ADD = "segment_add", _("Add to segment")
        SEGMENT_REMOVE = "segment_remove", _("Remove from segment")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    code = models.UUIDField(default=_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    # owner id (or None: unassign), stage and reason, segment id
    params = models.JSONField(default=dict, blank=True)
    # the contacts list's filters when "all matching" was chosen, or {"codes": [...]}
    selection = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)  # last contact id committed (resume point)
    restored = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    api_key = models.ForeignKey("mos.ApiKey", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "created_at"], name="bulk_action_ws")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.total})"

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.UNDONE):
            return 100
        return min(100, int(100 * self.processed / self.total)) if self.total else 0

    @property
    def unchanged(self) -> int:
        return max(self.processed - self.changed, 0)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.UNDONE)

    @property
    def reversible(self) -> bool:
        return self.kind != self.Kind.CHANGE_STAGE



class BulkActionItem(models.Model):
    """The before-image of one contact a bulk action changed: its owner (assign) or its
    hand-made membership of the segment ("" none, "in", "out"), or its stage (for the record)."""

    action = models.ForeignKey(BulkAction, on_delete=models.CASCADE, related_name="items")
    contact = models.ForeignKey("crm.Contact", on_delete=models.CASCADE, related_name="+")
    before_owner_id = models.BigIntegerField(null=True, blank=True)
    before = models.CharField(max_length=20, blank=True)

    class Meta:
        indexes = [models.Index(fields=["action", "before_owner_id"], name="bulk_item_owner")]


class SavedView(models.Model):
    """A member's saved view of the contacts list: filters, sort and columns; private to them
    or shared with the workspace."""

    code = models.UUIDField(default=_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+")
    name = models.CharField(_("name"), max_length=80)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=30, blank=True, default="-created_at")
    columns = models.JSONField(_("columns"), default=list, blank=True)
    shared = models.BooleanField(_("shared with the workspace"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "owner", "name"],
                                               name="saved_view_name_unique")]

    def __str__(self):
        return self.name


class SavedViewDefault(models.Model):
    """The view a member's contacts list opens with."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    view = models.ForeignKey(SavedView, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"],
                                               name="saved_view_default_unique")]
