"""Pages for accounts and workspace administration (members, API keys, audit, settings)."""

from __future__ import annotations

from django.contrib import messages
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import (ApiKeyForm, AuditFilterForm, InvitationSignupForm, InviteForm, ProfileForm, RoleForm, SignupForm, WorkspaceCreateForm,
                    WorkspaceSettingsForm, add_service_errors)
from .tenancy import workspace_view


def _safe_next(request, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
        return nxt
    return fallback


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (it answers the same whether or not the e-mail has an account), with
    the link built from SITE_URL, never from the request's Host header."""

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once an account or an address is locked out: the login page, with
    the reason, and 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    locked_out = _("Too many failed log-ins for this account or from this network. Try again "
                   "in %(minutes)d minutes, or reset your password.") % {"minutes": minutes}
    return render(request, "registration/login.html",
                  {"form": AuthenticationForm(request), "locked_out": locked_out,
                   "next": request.POST.get("next", "")}, status=429)


def home(request):
    """Send a signed-in person to their last workspace, a newcomer to sign in."""
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = list(selectors.user_workspaces(request.user))
    if not memberships:
        return redirect("workspace_create")
    last = request.session.get("workspace")
    slug = next((m.workspace.slug for m in memberships if m.workspace.slug == last),
                memberships[0].workspace.slug)
    return redirect("workspace_home", slug=slug)


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        # the same answer whether or not the address has an account: the e-mail tells
        services.signup_request(**form.cleaned_data, next_url=_safe_next(request, ""))
        return render(request, "registration/signup_sent.html",
                      {"email": form.cleaned_data["email"]})
    return render(request, "registration/signup.html", {"form": form})


def signup_confirm(request, uidb64, token):
    """The link in the confirmation e-mail: activates the account and signs the person in."""
    user = services.signup_confirm(uidb64=uidb64, token=token)
    if user is None:
        messages.error(request, _("This confirmation link is not valid any more. Log in, or "
                                  "sign up again to get a new one."))
        return redirect("login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(_safe_next(request, reverse("home")))


@login_required
def profile(request):
    """The user menu's profile: name and language preference. The language takes effect at
    once (the language cookie that LocaleMiddleware reads)."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        language = user.language
        with translation.override(language or translation.get_language()):
            messages.success(request, _("Profile saved."))
        response = redirect("profile")
        if language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                                max_age=settings.LANGUAGE_COOKIE_AGE,
                                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                                secure=settings.LANGUAGE_COOKIE_SECURE,
                                httponly=settings.LANGUAGE_COOKIE_HTTPONLY)
        else:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    return render(request, "mos/profile.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (it keeps the person signed in), back to the profile."""

    template_name = "mos/password_change.html"

    def get_success_url(self):
        return reverse("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Password changed."))
        return response


@login_required
def workspace_create(request):
    form = WorkspaceCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ws = services.workspace_create(user=request.user, name=form.cleaned_data["name"])
        messages.success(request, _("Workspace “%(name)s” created.") % {"name": ws.name})
        return redirect("workspace_home", slug=ws.slug)
    return render(request, "mos/workspace_create.html", {"form": form})


def invitation_accept(request, token):
    """The invitation link. A newcomer creates their account here and lands in the inviting
    workspace with the invited role; a signed-in person accepts with one button."""
    invitation = selectors.get_invitation_by_token(token)
    if not request.user.is_authenticated:
        form = InvitationSignupForm(request.POST or None, email=invitation.email)
        if request.method == "POST" and not invitation.accepted_at and form.is_valid():
            try:
                user = services.invitation_signup(invitation=invitation, **form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome to %(name)s.") % {
                    "name": invitation.workspace.name})
                return redirect("workspace_home", slug=invitation.workspace.slug)
        return render(request, "mos/invitation.html", {"invitation": invitation, "form": form})
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return redirect("home")
        return redirect("workspace_home", slug=invitation.workspace.slug)
    return render(request, "mos/invitation.html", {"invitation": invitation})


@workspace_view("workspace.settings")
def workspace_settings(request):
    ws = request.workspace
    form = WorkspaceSettingsForm(request.POST or None, instance=ws)
    if request.method == "POST" and form.is_valid():
        changed = {f: form.cleaned_data[f] for f in form.changed_data}
        ws.refresh_from_db()  # the form mutated the instance; the service diffs from the DB
        if changed:
            services.workspace_update(actor=request.actor, workspace=ws, **changed)
        messages.success(request, _("Settings saved."))
        return redirect("workspace_settings", slug=ws.slug)
    return render(request, "mos/settings.html", {"form": form})


@workspace_view("members.manage")
def members(request):
    ws = request.workspace
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_invite(actor=request.actor, **form.cleaned_data)
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % form.cleaned_data)
            return redirect("members", slug=ws.slug)
    return render(request, "mos/members.html", {
        "form": form,
        "members": selectors.workspace_members(ws),
        "invitations": selectors.open_invitations(ws),
        "role_form": RoleForm(),
    })


@workspace_view("members.manage")
@require_POST
def member_role(request, member_code):
    membership = selectors.get_member(request.workspace, member_code)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.member_change_role(actor=request.actor, membership=membership,
                                        role=form.cleaned_data["role"])
            messages.success(request, _("Role changed."))
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
    else:
        messages.error(request, _("Choose a valid role."))
    return redirect("members", slug=request.workspace.slug)


@workspace_view("members.manage")
@require_POST
def member_remove(request, member_code):
    membership = selectors.get_member(request.workspace, member_code)
    try:
        services.member_remove(actor=request.actor, membership=membership)
        messages.success(request, _("Member removed."))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("members", slug=request.workspace.slug)


NEW_KEY_SESSION = "mos:new_api_key"


@workspace_view("apikeys.manage")
def api_keys(request):
    """POST creates a key and redirects; the GET after it shows the secret once (taken out of
    the session), so reloading the page never creates a second key nor shows it again."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _key, secret = services.api_key_create(actor=request.actor, **form.cleaned_data)
        request.session[NEW_KEY_SESSION] = {"workspace": request.workspace.slug,
                                            "secret": secret}
        return redirect("api_keys", slug=request.workspace.slug)
    new_secret = None
    pending = request.session.get(NEW_KEY_SESSION)
    if pending and pending.get("workspace") == request.workspace.slug:
        new_secret = request.session.pop(NEW_KEY_SESSION)["secret"]
    response = render(request, "mos/api_keys.html", {
        "form": form, "keys": selectors.workspace_api_keys(request.workspace),
        "new_secret": new_secret,
    })
    response["Cache-Control"] = "no-store"
    return response


@workspace_view("apikeys.manage")
@require_POST
def api_key_revoke(request, key_code):
    key = selectors.get_api_key(request.workspace, key_code)
    services.api_key_revoke(actor=request.actor, key=key)
    messages.success(request, _("Key %(prefix)s revoked.") % {"prefix": key.prefix})
    return redirect("api_keys", slug=request.workspace.slug)


@workspace_view("audit.view")
def audit_log(request):
    """The audit log in words, filtered by member, action and dates."""
    from .audit_text import change_lines, describe

    ws = request.workspace
    form = AuditFilterForm(request.GET or None, workspace=ws,
                           actions=selectors.audit_actions(ws))
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_log(ws, **{k: v for k, v in filters.items() if v})
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    rows = [{"entry": e, "text": describe(e), "changes": change_lines(e)}
            for e in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "mos/audit.html", {"page": page, "rows": rows, "form": form,
                                              "query": query.urlencode()})


def healthz(request):
    """Database and broker reachability, for load balancers and uptime checks.

    503 only when the database is down: with Redis down pages and ingest still work (keys come
    from the database, the rate limiter fails open), so the answer is 200 "degraded", naming
    Redis — a load balancer must not take a working web process out of rotation."""
    from django.conf import settings

    checks = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as e:  # noqa: BLE001 — any failure means "down"
        checks["database"] = f"error: {e.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
            checks["broker"] = "ok"
        except Exception as e:  # noqa: BLE001
            checks["broker"] = f"error: {e.__class__.__name__}"
    else:
        checks["broker"] = "eager (embedded, no broker)"
    if checks["database"] != "ok":
        return JsonResponse({"status": "error", **checks}, status=503)
    if checks["broker"].startswith("error"):
        return JsonResponse({"status": "degraded", "degraded": ["redis"], **checks}, status=200)
    return JsonResponse({"status": "ok", **checks}, status=200)
