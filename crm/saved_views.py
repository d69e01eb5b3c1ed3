"""Saved views of the contacts list (issue 15): a member's filters, sort and columns under a
name, private or shared with the workspace, one of them the member's default. Reads and writes
for the page and the API; every write is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mos.actors import Actor
from mos.audit import audit, diff, snapshot
from mos.codes import as_code

from .models import SavedView, SavedViewDefault
from .selectors import CONTACT_SORTS

# the contacts list's columns, in table order; "name" is always shown
COLUMNS = {
    "name": gettext_lazy("Name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "company": gettext_lazy("Company"),
    "stage": gettext_lazy("Stage"),
    "owner": gettext_lazy("Owner"),
    "source": gettext_lazy("Source"),
    "persona": gettext_lazy("Persona"),
    "customer_type": gettext_lazy("Customer type"),
    "country": gettext_lazy("Country"),
    "city": gettext_lazy("City"),
    "created": gettext_lazy("Created"),
    "updated": gettext_lazy("Updated"),
}
DEFAULT_COLUMNS = ["name", "company", "stage", "owner", "source", "created"]
FILTER_KEYS = ("q", "stage", "persona", "customer_type", "channel", "owner", "segment")
FIELDS = ["name", "filters", "sort", "columns", "shared"]


# --- reads -----------------------------------------------------------------------------------

def saved_views_for(workspace, user) -> QuerySet:
    """The views a member sees: their own and those shared in the workspace."""
    if user is None:
        return SavedView.objects.filter(workspace=workspace, shared=True).select_related("owner")
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True),
                                    workspace=workspace).select_related("owner")


def saved_views_menu(workspace, user) -> tuple[list[SavedView], SavedView | None]:
    """The member's views for the list's menu and their default among them, in one query."""
    from django.db.models import Exists, OuterRef

    views = list(saved_views_for(workspace, user).annotate(is_default=Exists(
        SavedViewDefault.objects.filter(workspace=workspace, user=user, view=OuterRef("pk")))))
    return views, next((v for v in views if v.is_default), None)


def get_saved_view(workspace, user, code) -> SavedView:
    """A view the member may see, or 404 (another's private view answers like a missing one)."""
    code = as_code(code)
    view = saved_views_for(workspace, user).filter(code=code).first() if code else None
    if view is None:
        raise Http404
    return view


def default_view(workspace, user) -> SavedView | None:
    if user is None:
        return None
    d = SavedViewDefault.objects.filter(workspace=workspace, user=user).select_related(
        "view").first()
    if d is None or not (d.view.shared or d.view.owner_id == user.pk):
        return None
    return d.view


def view_query(view: SavedView) -> dict:
    """The contacts list's GET parameters that show this view."""
    return {**{k: v for k, v in view.filters.items() if v}, "sort": view.sort,
            "view": str(view.code)}


def columns_of(view: SavedView | None) -> list[str]:
    cols = (view.columns if view else None) or DEFAULT_COLUMNS
    return ["name", *[c for c in cols if c in COLUMNS and c != "name"]]


# --- writes ----------------------------------------------------------------------------------

def _clean(fields: dict) -> dict:
    errors = {}
    out = {}
    if "name" in fields:
        name = str(fields["name"] or "").strip()
        if not name:
            errors["name"] = [_("Give the view a name.")]
        out["name"] = name[:80]
    if "filters" in fields:
        f = fields["filters"] or {}
        if not isinstance(f, dict):
            errors["filters"] = [_("Filters must be an object.")]
        else:
            unknown = sorted(set(f) - set(FILTER_KEYS))
            if unknown:
                errors["filters"] = [_("Unknown filter(s): %(keys)s")
                                     % {"keys": ", ".join(unknown)}]
            elif any(not isinstance(v, (str, int)) for v in f.values()):
                errors["filters"] = [_("Each filter is a single value.")]
            elif str(f.get("owner", "")).strip() and not str(f["owner"]).strip().isdigit():
                # the list's owner filter names a member by id, as its select does
                errors["filters"] = [_("owner: give the member's id.")]
            else:
                out["filters"] = {k: str(v).strip()[:200] for k, v in f.items()
                                  if str(v).strip()}
    if "sort" in fields:
        sort = str(fields["sort"] or "-created_at")
        if sort not in CONTACT_SORTS:
            errors["sort"] = [_("Unknown sort: %(sort)s") % {"sort": sort}]
        out["sort"] = sort
    if "columns" in fields:
        cols = fields["columns"] or []
        if not isinstance(cols, list) or any(c not in COLUMNS for c in cols):
            errors["columns"] = [_("Choose columns among: %(cols)s")
                                 % {"cols": ", ".join(COLUMNS)}]
        else:
            out["columns"] = list(dict.fromkeys(["name", *cols]))
    if "shared" in fields:
        out["shared"] = bool(fields["shared"])
    if errors:
        raise ValidationError(errors)
    return out


def _save(view: SavedView) -> None:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationError({"name": [_("You already have a view with this name.")]}) \
            from None


@transaction.atomic
def saved_view_create(*, actor: Actor, **fields) -> SavedView:
    """A new view owned by the person acting (an API key has no views of its own)."""
    if actor.user is None:
        raise ValidationError({"owner": [_("Saved views belong to a person: sign in to save "
                                           "one.")]})
    data = {"filters": {}, "sort": "-created_at", "columns": DEFAULT_COLUMNS, "shared": False,
            **fields}
    view = SavedView(workspace=actor.workspace, owner=actor.user, **_clean(data))
    _save(view)
    audit(actor, "saved_view.create", view, changes=snapshot(view, FIELDS))
    return view


def _check_owner(actor: Actor, view: SavedView) -> None:
    if actor.user is None or view.owner_id != actor.user.pk:
        raise PermissionDenied(_("Only the person who saved this view can change it."))


@transaction.atomic
def saved_view_update(*, actor: Actor, view: SavedView, **fields) -> SavedView:
    _check_owner(actor, view)
    before = snapshot(view, FIELDS)
    for k, v in _clean(fields).items():
        setattr(view, k, v)
    _save(view)
    changes = diff(before, snapshot(view, FIELDS))
    if changes:
        audit(actor, "saved_view.update", view, changes=changes)
    return view


@transaction.atomic
def saved_view_delete(*, actor: Actor, view: SavedView) -> None:
    _check_owner(actor, view)
    audit(actor, "saved_view.delete", view, changes=snapshot(view, FIELDS))
    view.delete()


@transaction.atomic
def saved_view_set_default(*, actor: Actor, view: SavedView | None) -> None:
    """Open the contacts list with `view` for this member (None: no default)."""
    if actor.user is None:
        raise ValidationError({"owner": [_("Saved views belong to a person: sign in to save "
                                           "one.")]})
    SavedViewDefault.objects.filter(workspace=actor.workspace, user=actor.user).delete()
    if view is not None:
        SavedViewDefault.objects.create(workspace=actor.workspace, user=actor.user, view=view)
