"""The CRM: channels, campaigns and daily spend; contacts and accounts, lifecycle stages and
their history, events, orders, the consent ledger, lead feedback, personas, segments, merges
and imports."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mos.leases import LeasedJob
from mos.models import Workspace


def new_code():
    return uuid.uuid4()


class Stage(models.TextChoices):
    """The lifecycle. A workspace renames stages and defines them in LifecycleStage."""

    SUBSCRIBER = "subscriber", _("Subscriber")
    LEAD = "lead", _("Lead")
    MQL = "mql", _("Marketing-qualified lead (MQL)")
    SQL = "sql", _("Sales-qualified lead (SQL)")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    ADVOCATE = "advocate", _("Advocate")
    CHURNED = "churned", _("Churned")
    OTHER = "other", _("Other")


FUNNEL_STAGES = [Stage.SUBSCRIBER, Stage.LEAD, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY,
                 Stage.CUSTOMER, Stage.ADVOCATE]


class LifecycleStage(models.Model):
    """A workspace's own name and written definition of a stage — for lead, MQL and SQL this
    is the unified lead definition marketing and sales agreed on."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="lifecycle_stages")
    key = models.CharField(max_length=20, choices=Stage.choices)
    name = models.CharField(_("name"), max_length=80)
    definition = models.TextField(_("definition"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"],
                                               name="lifecycle_stage_unique")]

    def __str__(self):
        return self.name


class CustomerType(models.TextChoices):
    """Seed 003's customer types."""

    STRATEGIC = "strategic", _("Strategic")
    LOYAL = "loyal", _("Loyal")
    DISCOUNT = "discount_driven", _("Discount-driven")
    NEED = "need_driven", _("Need-driven")
    IMPULSIVE = "impulsive", _("Impulsive")
    WANDERING = "wandering", _("Wandering")


class BuyingRole(models.TextChoices):
    END_USER = "end_user", _("End user")
    BUYER = "buyer", _("Buyer")
    INFLUENCER = "influencer", _("Influencer")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    CHAMPION = "champion", _("Champion")


class Account(models.Model):
    """A company (B2B); B2C contacts have none."""

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="accounts")
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=40, blank=True)
    plan = models.CharField(_("plan"), max_length=60, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["workspace", "name"])]

    def __str__(self):
        return self.name


class Persona(models.Model):
    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="personas")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("who they are"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    objections = models.TextField(_("objections"), blank=True)
    value_proposition = models.TextField(_("value proposition"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Channel(models.Model):
    class Kind(models.TextChoices):
        SEO = "seo", _("SEO")
        PAID_SEARCH = "paid_search", _("Paid search")
        PAID_SOCIAL = "paid_social", _("Paid social")
        ORGANIC_SOCIAL = "organic_social", _("Organic social")
        EMAIL = "email", _("E-mail")
        CONTENT = "content", _("Content")
        REFERRAL = "referral", _("Referral")
        PARTNERSHIPS = "partnerships", _("Partnerships")
        DIRECT = "direct", _("Direct")
        OTHER = "other", _("Other")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    key = models.SlugField(_("key"), max_length=50,
                           help_text=_("Used in the API, UTM mapping and imports, e.g. google_ads."))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    utm_sources = models.JSONField(_("UTM sources"), default=list, blank=True,
                                   help_text=_("utm_source values that mean this channel."))
    is_paid = models.BooleanField(_("paid"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # archived: kept for its spend and history, offered no more in forms
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        db_table = "engines_channel"  # the table predates the move to crm; rows stay put
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"],
                                               name="channel_key_unique")]

    def __str__(self):
        return self.name


class Campaign(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    channel = models.ForeignKey(Channel, on_delete=models.RESTRICT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=200, blank=True)
    external_id = models.CharField(_("ad platform id"), max_length=100, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True,
                                 blank=True)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    goal = models.CharField(_("goal"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        db_table = "engines_campaign"
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "utm_campaign"],
                                    condition=~Q(utm_campaign=""),
                                    name="campaign_utm_unique"),
            models.UniqueConstraint(fields=["workspace", "channel", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="campaign_external_id_unique"),
        ]

    def __str__(self):
        return self.name


class Spend(models.Model):
    """One day of spend for a channel (and optionally a campaign)."""

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    channel = models.ForeignKey(Channel, on_delete=models.RESTRICT, related_name="spend")
    campaign = models.ForeignKey(Campaign, on_delete=models.RESTRICT, null=True, blank=True,
                                 related_name="spend")
    # 3 decimals: the most any active currency has (KWD); the currency decides (mos.validation)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=3)
    impressions = models.BigIntegerField(_("impressions"), default=0)
    clicks = models.BigIntegerField(_("clicks"), default=0)
    source = models.CharField(_("source"), max_length=30, blank=True)  # api, import:google_ads…
    # the amount as the platform reported it, before conversion to the workspace currency
    original_amount = models.DecimalField(_("original amount"), max_digits=15,
                                          decimal_places=3, null=True, blank=True)
    original_currency = models.CharField(_("original currency"), max_length=3, blank=True,
                                         default="", db_default="")
    spread = models.BooleanField(
        _("spread"), default=False, db_default=False,
        help_text=_("An even share of a total the file gave for several days, not the "
                    "platform's figure for this day."))

    class Meta:
        db_table = "engines_spend"
        ordering = ["-date"]
        constraints = [
            # one row per day × channel × campaign; re-sending a day replaces it
            models.UniqueConstraint(fields=["workspace", "date", "channel", "campaign"],
                                    name="spend_day_campaign_unique"),
            models.UniqueConstraint(fields=["workspace", "date", "channel"],
                                    condition=Q(campaign__isnull=True),
                                    name="spend_day_channel_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(impressions__gte=0)
                                   & Q(clicks__gte=0), name="spend_not_negative"),
        ]
        indexes = [models.Index(fields=["workspace", "date"])]


class Contact(models.Model):
    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="contacts")
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="contacts")
    company = models.CharField(_("company"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    persona = models.ForeignKey(Persona, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="contacts")
    customer_type = models.CharField(_("customer type"), max_length=20, blank=True,
                                     choices=CustomerType.choices)
    buying_role = models.CharField(_("buying role"), max_length=20, blank=True,
                                   choices=BuyingRole.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="owned_contacts",
                              verbose_name=_("owner (sales rep)"))
    stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage.choices,
                             default=Stage.SUBSCRIBER)
    stage_changed_at = models.DateTimeField(null=True, blank=True)
    source_channel = models.ForeignKey(Channel, on_delete=models.SET_NULL, null=True,
                                       blank=True, related_name="+",
                                       verbose_name=_("source channel"))
    source_campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL,
                                        null=True, blank=True, related_name="+",
                                        verbose_name=_("source campaign"))
    properties = models.JSONField(_("custom properties"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="contact_external_id_unique"),
            models.UniqueConstraint(fields=["workspace", "email"], condition=~Q(email=""),
                                    name="contact_email_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="contact_ws_created"),
            # a filter by stage or channel with the default newest-first sort seeks straight
            # to its rows (the prefix also serves counts per stage / channel)
            models.Index(fields=["workspace", "stage", "-created_at", "-id"],
                         name="contact_ws_stage_created"),
            # keyset pages of the contacts list sorted by name / stage (id breaks ties)
            models.Index(fields=["workspace", "name", "id"], name="contact_ws_name_id"),
            models.Index(fields=["workspace", "stage", "id"], name="contact_ws_stage_id"),
            models.Index(fields=["workspace", "owner"], name="contact_ws_owner"),
            models.Index(fields=["workspace", "phone"], name="contact_ws_phone"),
            models.Index(fields=["workspace", "source_channel", "-created_at", "-id"],
                         name="contact_ws_channel_created"),
        ]

    def __str__(self):
        return self.name or self.email or self.phone or self.external_id or str(self.code)[:8]

    @property
    def score(self) -> int:
        """The lead score (ContactScore), or the `score` a queryset annotated (with_score)."""
        if "_score" in self.__dict__:
            return self._score
        try:
            return self.lead_score.score
        except ContactScore.DoesNotExist:
            return 0

    @score.setter
    def score(self, value) -> None:
        self._score = value


class StageChange(models.Model):
    """One move in a contact's lifecycle. Funnels are computed from these rows."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, blank=True, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["workspace", "to_stage", "at"], name="stage_ws_to_at"),
                   models.Index(fields=["contact", "at"], name="stage_contact_at")]


class TrackedEvent(models.Model):
    """The workspace's tracking plan: an event name and the properties it must carry."""

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="tracking_plan")
    name = models.CharField(_("event name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    required_properties = models.JSONField(_("required properties"), default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"],
                                               name="tracked_event_unique")]


class Event(models.Model):
    """A touchpoint or activity. Unknown contacts keep their anonymous id until identified."""

    # Events are the largest, most written table: every index costs each ingested row, so the
    # foreign keys get no index of their own where a composite or partial one below serves
    # their lookups (workspace → event_ws_at, contact → event_contact_at, channel and campaign
    # → their partial indexes, which skip the many rows without one).
    # the public id (API, profile actions); added to a populated table in three steps:
    # nullable, backfilled in batches, then unique (crm 0012-0014)
    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="events", db_index=False)
    anonymous_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=100)
    channel = models.ForeignKey(Channel, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", db_index=False)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    properties = models.JSONField(default=dict, blank=True)
    # data quality: "unknown_event", "missing:<property>" — accepted, flagged, never dropped
    quality_issues = models.JSONField(default=list, blank=True)
    idempotency_id = models.CharField(max_length=100, blank=True,
                                      help_text="The sender's event id; a repeat is ignored.")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "idempotency_id"],
                                               condition=~Q(idempotency_id=""),
                                               name="event_idempotency_unique")]
        indexes = [
            models.Index(fields=["workspace", "occurred_at"], name="event_ws_at"),
            # partial: anonymous events (often most of them) are never looked up by contact
            models.Index(fields=["contact", "occurred_at"], name="event_contact_at",
                         condition=Q(contact__isnull=False)),
            models.Index(fields=["workspace", "anonymous_id"], name="event_ws_anon",
                         condition=Q(contact__isnull=True)),
            # for deleting a channel / campaign (SET_NULL) and filtering by one
            models.Index(fields=["channel"], name="event_channel",
                         condition=Q(channel__isnull=False)),
            models.Index(fields=["campaign"], name="event_campaign",
                         condition=Q(campaign__isnull=False)),
        ]


class Order(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", _("New")
        RENEWAL = "renewal", _("Renewal")
        EXPANSION = "expansion", _("Expansion")
        REFUND = "refund", _("Refund")

    class Status(models.TextChoices):
        """The payment state (Shopify's financial status, Stripe's payment status). Only
        COUNTED statuses are revenue; a refund is its own row of kind refund."""

        PAID = "paid", _("Paid")
        PENDING = "pending", _("Pending")
        AUTHORIZED = "authorized", _("Authorized")
        PARTIALLY_PAID = "partially_paid", _("Partially paid")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        VOIDED = "voided", _("Voided")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # paid at some point: the sale counts (its refunds are refund rows)
    COUNTED_STATUSES = ("paid", "partially_refunded", "refunded")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="orders")
    # db_default too: rows written by raw SQL (the demo, benchmarks) are paid orders
    status = models.CharField(_("payment status"), max_length=20, choices=Status.choices,
                              default=Status.PAID, db_default=Status.PAID)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEW)
    # 3 decimals: the most any active currency has (KWD); the currency decides (mos.validation)
    amount = models.DecimalField(_("amount"), max_digits=15, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    # the amount and currency as sent; `amount` is converted to the workspace currency
    original_amount = models.DecimalField(_("original amount"), max_digits=15,
                                          decimal_places=3, null=True, blank=True)
    original_currency = models.CharField(_("original currency"), max_length=3, blank=True,
                                         default="", db_default="")
    margin = models.DecimalField(_("gross margin"), max_digits=5, decimal_places=4, null=True,
                                 blank=True, help_text=_("Fraction, e.g. 0.65; empty = workspace default."))
    occurred_at = models.DateTimeField(_("date"))
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "external_id"],
                                    condition=~Q(external_id=""), name="order_external_id_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["workspace", "occurred_at"], name="order_ws_at"),
                   models.Index(fields=["contact", "occurred_at"], name="order_contact_at")]


class ConsentChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PUSH = "push", _("Push")
    PHONE = "phone", _("Phone")


class Consent(models.Model):
    """Append-only ledger: the current state per channel is the latest row."""

    class Status(models.TextChoices):
        GRANTED = "granted", _("Granted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=8, choices=ConsentChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.CharField(_("source"), max_length=100, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["contact", "channel", "-at", "-id"],
                                name="consent_contact_channel")]


class LeadFeedback(models.Model):
    """A sales rep's verdict on a lead marketing sent them."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        CONVERTED = "converted", _("Converted")
        NO_ANSWER = "no_answer", _("No answer")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="feedback")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                            related_name="lead_feedback")
    quality = models.PositiveSmallIntegerField(_("lead quality (1–5)"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quality__gte=1) & Q(quality__lte=5),
                                              name="feedback_quality_1_5")]
        indexes = [models.Index(fields=["workspace", "at"], name="feedback_ws_at")]


class Segment(models.Model):
    """A saved filter over contacts (stage, persona, customer type, plan, country, channel,
    properties). Members are whoever matches now."""

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ContactMerge(models.Model):
    """A record that one contact was merged into another (identity resolution)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges")
    merged_code = models.UUIDField()
    merged_snapshot = models.JSONField(default=dict)
    matched_on = models.CharField(max_length=20)  # email, phone, external_id, anonymous_id
    moved = models.JSONField(default=dict)  # counts of rows moved per kind
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]


class ImportJob(LeasedJob):
    """A CSV upload: previewed, confirmed, then processed by a task with progress."""

    LEASE_RUNNING, LEASE_READY = "running", "queued"

    class Kind(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        ORDERS = "orders", _("Orders")
        SPEND = "spend", _("Ad spend")
        SUBSCRIPTIONS = "subscriptions", _("Subscriptions")
        RATES = "rates", _("Exchange rates")

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    layout = models.CharField(_("file layout"), max_length=20, default="generic")
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    updated_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)  # errors per row, column mapping
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # the lease (mos.leases.LeasedJob): the worker renews heartbeat_at after each chunk; a job
    # taken over resumes after committed_rows (the last chunk written)
    committed_rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class Subscription(models.Model):
    """A recurring plan a customer pays for (DESIGN §4). MRR is the monthly recurring revenue in
    the workspace currency, already normalised to a month (a yearly plan's price / 12); MRR
    movements (engines/metrics/subscriptions.py) are computed from these rows."""

    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trialing")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        CANCELLED = "cancelled", _("Cancelled")
        ENDED = "ended", _("Ended")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="subscriptions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="subscriptions")
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    plan = models.CharField(_("plan"), max_length=100, blank=True)
    mrr = models.DecimalField(_("MRR"), max_digits=14, decimal_places=2,
                              help_text=_("Monthly recurring revenue in the workspace currency."))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.ACTIVE)
    started_at = models.DateTimeField(_("started"))
    trial_end = models.DateTimeField(_("trial end"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="subscription_external_id_unique"),
            models.CheckConstraint(condition=Q(mrr__gte=0), name="subscription_mrr_not_negative"),
            models.CheckConstraint(condition=Q(contact__isnull=False) | Q(account__isnull=False),
                                   name="subscription_has_customer"),
        ]
        indexes = [models.Index(fields=["workspace", "started_at"], name="subscription_ws_start"),
                   models.Index(fields=["contact", "started_at"], name="subscription_contact")]

    def __str__(self):
        return f"{self.plan or self.external_id or self.code}"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.contact_id is None and self.account_id is None:
            errors["contact"] = [_("Give a contact or an account.")]
        if self.ended_at and self.started_at and self.ended_at < self.started_at:
            errors["ended_at"] = [_("Cannot be before the start.")]
        if errors:
            raise ValidationError(errors)


class ExchangeRate(models.Model):
    """What one unit of `currency` was worth in the workspace currency on `date` (imported
    from a rates file such as the ECB's, or posted through the API). Orders and spend in
    another currency are converted with the rate of their day, or of the latest earlier day
    within a week (crm.ingest.currency)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=24, decimal_places=10)
    source = models.CharField(_("source"), max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "date", "currency"],
                                    name="exchange_rate_unique"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]
        indexes = [models.Index(fields=["workspace", "currency", "date"],
                                name="exchange_rate_lookup")]

    def __str__(self):
        return f"{self.currency} {self.date}: {self.rate}"


class Activity(models.Model):
    """Work a person did or has to do on a contact or an account: a note, a call (outcome and
    duration: call handling time), an e-mail logged by hand, a meeting or a task (due date,
    done). The owner is who did it, or whose to-do it is."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")

    class CallOutcome(models.TextChoices):
        CONNECTED = "connected", _("Connected")
        NO_ANSWER = "no_answer", _("No answer")
        VOICEMAIL = "voicemail", _("Left a voicemail")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        BUSY = "busy", _("Busy")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="activities", verbose_name=_("contact"))
    account = models.ForeignKey(Account, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="activities", verbose_name=_("account"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="activities", verbose_name=_("owner"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("note"), blank=True)
    call_outcome = models.CharField(_("call outcome"), max_length=20, blank=True,
                                    choices=CallOutcome.choices)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True,
                                                   blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # when it happened (note, call, e-mail, meeting) or was created (task)
    at = models.DateTimeField(_("when"), default=timezone.now)
    # who or what created it: "" (a person), "flow:<code>" (an automation step), "api"
    source = models.CharField(_("source"), max_length=60, blank=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(contact__isnull=False) | Q(account__isnull=False),
                                   name="activity_has_subject"),
            models.UniqueConstraint(fields=["workspace", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="activity_external_id_unique"),
        ]
        indexes = [
            models.Index(fields=["contact", "at"], name="activity_contact_at"),
            models.Index(fields=["account", "at"], name="activity_account_at"),
            # My day: a person's open tasks by due date
            models.Index(fields=["workspace", "owner", "kind", "due_at"],
                         name="activity_owner_due", condition=Q(done_at__isnull=True)),
            models.Index(fields=["workspace", "kind", "at"], name="activity_ws_kind_at"),
        ]

    def __str__(self):
        return self.subject or self.get_kind_display()

    @property
    def is_open_task(self) -> bool:
        return self.kind == self.Kind.TASK and self.done_at is None


class ContactScore(models.Model):
    """A contact's lead score (crm.scoring), 0–100. Its own narrow table: the nightly rescore
    rewrites many of them, and a row of the contacts table carries twenty indexes."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, primary_key=True,
                                   related_name="lead_score")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+",
                                  db_index=False)
    score = models.PositiveSmallIntegerField(_("lead score"), default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "score"], name="contact_score_ws_score")]


class ScoringRule(models.Model):
    """One line of the workspace's lead-scoring model (crm.scoring): points for a property
    value, for events (each occurrence worth `points`, halved every `half_life_days`, capped
    at `max_points`), or for fit (persona, customer type, account size)."""

    class Kind(models.TextChoices):
        PROPERTY = "property", _("Property")
        EVENT = "event", _("Event (recency-weighted)")
        FIT = "fit", _("Fit")

    code = models.UUIDField(default=new_code, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE,
                                  related_name="scoring_rules")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # property: country, city, language, buying_role, company, or properties.<key>;
    # fit: persona, customer_type, account_size, account_industry; event: the event name
    field = models.CharField(_("field or event"), max_length=100)
    values = models.JSONField(_("values"), default=list, blank=True,
                              help_text=_("Matches any of these; empty: any non-blank value."))
    points = models.SmallIntegerField(_("points"))
    half_life_days = models.PositiveSmallIntegerField(_("half-life (days)"), null=True,
                                                      blank=True)
    max_points = models.PositiveSmallIntegerField(_("at most (points)"), null=True,
                                                  blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "field", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.field}"


class ScoringSettings(models.Model):
    """The workspace's score thresholds: a lead at or above `mql_threshold` is proposed for
    MQL, an MQL at or above `sql_threshold` for SQL (a person accepts the move)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE,
                                     related_name="scoring_settings")
    mql_threshold = models.PositiveSmallIntegerField(_("MQL threshold"), default=50)
    sql_threshold = models.PositiveSmallIntegerField(_("SQL threshold"), default=80)
    computed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(
            condition=Q(mql_threshold__lte=100) & Q(sql_threshold__lte=100),
            name="scoring_thresholds_0_100")]
