"""Writes for tenancy: workspaces, members, invitations, API keys. Each one is audited."""

from __future__ import annotations

import hmac
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .actors import Actor
from .audit import audit, diff, snapshot
from .models import ApiKey, Invitation, Membership, User, Workspace
from .roles import Role
from .selectors import api_key_for_secret

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "mos_"


def _unique_slug(name: str) -> str:
    base = slugify(name)[:40] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def user_signup(*, email: str, password: str, name: str = "", workspace_name: str,
                is_active: bool = True) -> User:
    """Create a person and their first workspace, where they are admin (inactive until they
    confirm their address when `is_active` is False)."""
    user = User(email=User.objects.normalize_email(email).lower(), username=email.lower(),
                name=name, is_active=is_active)
    user.set_password(password)
    user.full_clean()
    user.save()
    workspace_create(user=user, name=workspace_name)
    return user


@transaction.atomic
def signup_request(*, email: str, password: str, name: str, workspace_name: str,
                   next_url: str = "") -> None:
    """A sign-up asked for `email`. Whatever the address, the same thing happens on the page
    ("check your inbox"); the mail says what happened: a link to confirm a new account, or,
    when the address already has one, a note with the log-in and reset links. So the form
    never tells a stranger whether an e-mail has an account."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlencode, urlsafe_base64_encode

    email = User.objects.normalize_email(email).lower()
    site = settings.SITE_URL.rstrip("/")
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and existing.is_active:
        subject = _("You already have a MOS account")
        body = _("Someone (maybe you) tried to create a MOS account with this address, which "
                 "already has one. Log in: %(login)s\nForgot your password? %(reset)s\nIf it "
                 "was not you, ignore this e-mail.") % {
            "login": site + reverse("login"), "reset": site + reverse("password_reset")}
    else:
        if existing is not None:
            # A sign-up not confirmed yet: re-send its confirmation link and change nothing.
            # The second form may be a stranger's; letting it set the password would hand them
            # the account the moment the owner clicks the (first) link in their inbox.
            user = existing
        else:
            user = user_signup(email=email, password=password, name=name,
                               workspace_name=workspace_name, is_active=False)
        link = site + reverse("signup_confirm", args=[
            urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)])
        if next_url:
            link += "?" + urlencode({"next": next_url})
        subject = _("Confirm your MOS account")
        body = _("Confirm your address to start using MOS: %(link)s\nIf it was not you, "
                 "ignore this e-mail.") % {"link": link}
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))


def signup_confirm(*, uidb64: str, token: str) -> User | None:
    """The person the confirmation link names, now active; None for a wrong or used link."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_decode

    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    if user.is_active or not default_token_generator.check_token(user, token):
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def workspace_create(*, user: User, name: str, slug: str = "", **fields) -> Workspace:
    """A new workspace with `user` as its admin."""
    ws = Workspace(name=name, slug=slug or _unique_slug(name), **fields)
    ws.full_clean()
    ws.save()
    membership = Membership.objects.create(user=user, workspace=ws, role=Role.ADMIN)
    audit(Actor.for_member(membership), "workspace.create", ws)
    return ws


WORKSPACE_SETTINGS_FIELDS = ["name", "currency", "timezone", "business", "default_margin",
                             "activity_window_days", "attribution_model",
                             "attribution_lookback_days"]


@transaction.atomic
def workspace_update(*, actor: Actor, workspace: Workspace, **fields) -> Workspace:
    """Change a workspace's settings."""
    before = snapshot(workspace, WORKSPACE_SETTINGS_FIELDS)
    for k, v in fields.items():
        if k not in WORKSPACE_SETTINGS_FIELDS:
            raise ValueError(f"{k} is not a workspace setting")
        setattr(workspace, k, v)
    workspace.full_clean()
    workspace.save(update_fields=list(fields))
    audit(actor, "workspace.update", workspace,
          changes=diff(before, snapshot(workspace, WORKSPACE_SETTINGS_FIELDS)))
    return workspace


@transaction.atomic
def member_invite(*, actor: Actor, email: str, role: str) -> Invitation:
    """Invite someone by e-mail; an existing user is added at once, others get a link."""
    email = email.strip().lower()
    ws = actor.workspace
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if Membership.objects.filter(workspace=ws, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    inv = Invitation(workspace=ws, email=email, role=role, token=secrets.token_urlsafe(32),
                     invited_by=actor.user)
    inv.full_clean()
    inv.save()
    link = settings.SITE_URL + reverse("invitation_accept", args=[inv.token])
    transaction.on_commit(lambda: send_mail(
        _("You are invited to %(workspace)s on MOS") % {"workspace": ws.name},
        _("%(who)s invited you to join %(workspace)s as %(role)s.\n\nAccept: %(link)s") % {
            "who": actor, "workspace": ws.name, "role": Role(role).label, "link": link},
        None, [email]))
    audit(actor, "member.invite", inv, object_repr=email, changes={"role": role})
    return inv


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an open invitation into a membership for `user`."""
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was already used."))
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(_("This invitation was sent to another e-mail address."))
    membership, _created = Membership.objects.get_or_create(
        user=user, workspace=invitation.workspace, defaults={"role": invitation.role})
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit(Actor.for_member(membership), "member.join", membership, object_repr=user.email)
    return membership


@transaction.atomic
def invitation_signup(*, invitation: Invitation, name: str, password: str) -> User:
    """Create the invited person's account straight into the inviting workspace with the
    invited role (no workspace of their own). The link came to the invited address, so it
    confirms the address. An address that already has an account logs in to accept."""
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was already used."))
    email = invitation.email.lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and user.is_active:
        raise ValidationError(_("This e-mail already has an account: log in to accept the "
                                "invitation."))
    if user is None:
        user = User(email=email, username=email)
    user.name, user.is_active = name, True
    user.set_password(password)
    user.full_clean()
    user.save()
    invitation_accept(invitation=invitation, user=user)
    return user


def _admins_left(ws: Workspace, excluding: Membership) -> int:
    return ws.memberships.filter(role=Role.ADMIN).exclude(pk=excluding.pk).count()


@transaction.atomic
def member_change_role(*, actor: Actor, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last admin cannot be demoted."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if membership.role == Role.ADMIN and role != Role.ADMIN and not _admins_left(
            membership.workspace, membership):
        raise ValidationError({"role": _("A workspace needs at least one admin.")})
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit(actor, "member.role", membership, object_repr=membership.user.email,
          changes={"role": [old, role]})
    return membership


@transaction.atomic
def member_remove(*, actor: Actor, membership: Membership) -> None:
    """Remove a member; the last admin cannot be removed."""
    if membership.role == Role.ADMIN and not _admins_left(membership.workspace, membership):
        raise ValidationError(_("A workspace needs at least one admin."))
    audit(actor, "member.remove", membership, object_repr=membership.user.email,
          changes={"role": membership.role})
    membership.delete()


@transaction.atomic
def api_key_create(*, actor: Actor, name: str, scope: str) -> tuple[ApiKey, str]:
    """A new API key; returns the key and its secret, which is never shown again."""
    prefix = API_KEY_PREFIX + secrets.token_hex(4)
    secret = f"{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey(workspace=actor.workspace, name=name, scope=scope, prefix=prefix,
                 hashed_secret=ApiKey.hash_secret(secret), created_by=actor.user)
    key.full_clean()
    key.save()
    audit(actor, "apikey.create", key, changes={"scope": scope})
    return key, secret


@transaction.atomic
def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    """Revoke a key: it stops working at once."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit(actor, "apikey.revoke", key)
        # drop the cached key now, and again after commit in case a request that read it
        # before the revoke was visible has just cached it again
        api_key_forget(key)
        transaction.on_commit(lambda: api_key_forget(key))
    return key


def api_key_forget(key: ApiKey) -> None:
    """Drop a key's cached copy, so a change (revocation, in the admin too) applies at once."""
    _cache_call("delete", _api_key_cache_key(key.prefix))


def api_key_touch(key: ApiKey) -> bool:
    """Record use, at most once a minute per key (a hot path: no audit, one UPDATE).
    Returns whether it wrote."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        return True
    return False


# Every API request authenticates, and with small requests the key lookup (a query joining
# the workspace) was one of the largest costs, so an active key is kept in the shared cache
# for a few seconds. Revoking a key through api_key_revoke drops it from the cache at once;
# anything else about the key or its workspace is at most this many seconds stale.
API_KEY_CACHE_SECONDS = 10


def _api_key_cache_key(prefix: str) -> str:
    return f"mos:apikey:{prefix}"


def _cache_call(method: str, *args):
    """One call to the shared cache that survives Redis being down: the cache is a speed-up
    here, never a dependency. Returns None (and logs) when the cache cannot be reached."""
    try:
        return getattr(cache, method)(*args)
    except Exception as e:  # noqa: BLE001 — redis' ConnectionError/TimeoutError and kin
        logger.warning("cache unavailable (%s on %s), using the database: %s",
                       e.__class__.__name__, method, e)
        return None


def api_key_authenticate(secret: str) -> ApiKey | None:
    """The active key (with its workspace) whose secret this is, or None; records its use.
    With the cache down every request reads the key from the database."""
    cache_key = _api_key_cache_key(secret.split(".", 1)[0])
    key = _cache_call("get", cache_key)
    if key is None:
        key = api_key_for_secret(secret)
        if key is None:
            return None
        api_key_touch(key)
        _cache_call("set", cache_key, key, API_KEY_CACHE_SECONDS)
        return key
    if not hmac.compare_digest(key.hashed_secret, ApiKey.hash_secret(secret)):
        return None
    if api_key_touch(key):  # keep the cached copy's last use current, or every hit writes
        _cache_call("set", cache_key, key, API_KEY_CACHE_SECONDS)
    return key
