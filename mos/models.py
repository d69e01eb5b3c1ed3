"""Tenancy: users, workspaces, memberships, invitations, API keys and the audit log."""

from __future__ import annotations

import hashlib
from decimal import Decimal
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone as dj_tz
from django.utils.translation import gettext_lazy as _

from mos.validation import validate_currency, validate_timezone

from .metric_keys import attribution_model_choices
from .roles import Role


class MosUserManager(UserManager):
    def create_user(self, email, password=None, **extra):
        extra.setdefault("username", email)
        return super().create_user(extra.pop("username"), email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("username", email)
        return super().create_superuser(extra.pop("username"), email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their e-mail address."""

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True,
                                choices=settings.LANGUAGES)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = MosUserManager()

    def __str__(self):
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Workspace(models.Model):
    """The tenant: one company. Every domain row carries a workspace."""

    class Business(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Subscription")
        TRANSACTIONAL = "transactional", _("Transactional")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("address"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, default="USD",
                                validators=[validate_currency])
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC",
                                validators=[validate_timezone])
    business = models.CharField(_("business model"), max_length=16, choices=Business.choices,
                                default=Business.SUBSCRIPTION)
    default_margin = models.DecimalField(_("default gross margin"), max_digits=5,
                                         decimal_places=4, default=Decimal("0.7000"))
    activity_window_days = models.PositiveIntegerField(_("activity window (days)"), default=90)
    attribution_model = models.CharField(_("attribution model"), max_length=20,
                                         choices=attribution_model_choices,
                                         default="first_touch")
    attribution_lookback_days = models.PositiveIntegerField(_("attribution lookback (days)"),
                                                            default=30)
    created_at = models.DateTimeField(default=dj_tz.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=dj_tz.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"],
                                               name="one_membership_per_user")]
        ordering = ["workspace", "user__email"]

    def __str__(self):
        return f"{self.user} @ {self.workspace} ({self.role})"


class Invitation(models.Model):
    """An e-mailed invitation to join a workspace with a role; accepted once."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_tz.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class ApiKey(models.Model):
    """A workspace's API key. Only a SHA-256 of the secret is stored; the prefix is visible."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_secret = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_tz.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        # The secret is 32 random bytes, so a fast hash is enough (no dictionary to attack).
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEntry(models.Model):
    """Who changed what, when: one row per write made through a service."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audit_log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_code = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=dj_tz.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["workspace", "-at"])]


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an Idempotency-Key: a retry gets it again."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=dj_tz.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "endpoint", "key"],
                                               name="idempotency_unique")]


from .notify_models import (  # noqa: E402,F401  (alerts and digests: issue 15)
    DigestSent, Notification, NotificationKind, NotificationPreference)
