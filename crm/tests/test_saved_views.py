"""Saved views of the contacts list: columns, filters and sort per member, private or shared,
a default view, the API."""

import pytest

from crm import services
from crm import saved_views as sv
from crm.models import SavedView
from mos.actors import Actor
from mos.models import Membership
from mos.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(owner_actor):
    services.contact_create(actor=owner_actor, name="Amal", email="amal@x.test", stage="mql",
                            city="Riyadh")
    services.contact_create(actor=owner_actor, name="Bilal", email="bilal@x.test", stage="lead",
                            city="Cairo")


def _actor(user, ws):
    return Actor.for_member(Membership.objects.get(user=user, workspace=ws))


def test_save_current_list_as_a_view_with_columns_and_open_it(owner_client, workspace, people):
    r = owner_client.post(f"/w/{workspace.slug}/contacts/views/new/", {
        "name": "MQLs by city", "stage": "mql", "sort": "name",
        "columns": ["email", "city", "stage"]})
    view = SavedView.objects.get()
    assert view.filters == {"stage": "mql"} and view.sort == "name"
    assert view.columns == ["name", "email", "city", "stage"] and not view.shared
    assert r.status_code == 302 and f"view={view.code}" in r["Location"]
    html = owner_client.get(r["Location"]).content.decode()
    assert "Riyadh" in html and "Cairo" not in html  # the City column, the MQL filter
    assert ">Source<" not in html  # a column the view does not show
    # the bare ?view= link expands into the view's filters
    r = owner_client.get(f"/w/{workspace.slug}/contacts/?view={view.code}")
    assert r.status_code == 302 and "stage=mql" in r["Location"]


def test_private_views_stay_private_and_shared_ones_are_read_only_for_others(
        owner_actor, owner, workspace, people, add_member, client_for):
    mine = sv.saved_view_create(actor=owner_actor, name="Mine", filters={"stage": "lead"})
    shared = sv.saved_view_create(actor=owner_actor, name="Team", filters={}, shared=True)
    marketer = add_member(Role.MARKETER)
    c = client_for(marketer)
    assert c.get(f"/w/{workspace.slug}/contacts/?view={mine.code}").status_code == 404
    html = c.get(f"/w/{workspace.slug}/contacts/views/").content.decode()
    assert "Team" in html and "Mine" not in html
    r = c.get(f"/w/{workspace.slug}/contacts/views/{shared.code}/", follow=True)
    assert "Only the person who saved this view can change it." in r.content.decode()
    assert c.post(f"/w/{workspace.slug}/contacts/views/{shared.code}/delete/").status_code == 403
    # …but may open with it by default
    c.post(f"/w/{workspace.slug}/contacts/views/{shared.code}/default/")
    r = c.get(f"/w/{workspace.slug}/contacts/")
    assert r.status_code == 302 and f"view={shared.code}" in r["Location"]
    # "All contacts" bypasses the default
    assert c.get(f"/w/{workspace.slug}/contacts/?view=all").status_code == 200
    # the owner's list is unaffected by the marketer's default
    assert client_for(owner).get(f"/w/{workspace.slug}/contacts/").status_code == 200


def test_bad_views_are_refused(owner_actor):
    for fields, key in [({"name": ""}, "name"), ({"name": "x", "sort": "evil"}, "sort"),
                        ({"name": "x", "columns": ["password"]}, "columns"),
                        ({"name": "x", "filters": {"nope": "1"}}, "filters"),
                        ({"name": "x", "filters": {"owner": "none"}}, "filters")]:
        with pytest.raises(Exception) as e:
            sv.saved_view_create(actor=owner_actor, **fields)
        assert key in e.value.message_dict
    sv.saved_view_create(actor=owner_actor, name="Twice")
    with pytest.raises(Exception) as e:
        sv.saved_view_create(actor=owner_actor, name="Twice")
    assert "name" in e.value.message_dict


def test_api_crud_default_and_tenancy(owner_client, workspace, owner, outsider_api, api,
                                      add_member, client_for):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_login(owner)
    r = c.post("/api/v1/saved-views/", {"name": "Hot", "filters": {"stage": "sql"},
                                        "columns": ["name", "owner"], "shared": True},
               format="json")
    assert r.status_code == 201, r.json()
    code = r.json()["code"]
    r = c.post(f"/api/v1/saved-views/{code}/default/", {}, format="json")
    assert r.json()["is_default"] is True
    assert c.get("/api/v1/saved-views/").json()["results"][0]["is_default"] is True
    r = c.patch(f"/api/v1/saved-views/{code}/", {"sort": "nope"}, format="json")
    assert r.status_code == 400 and "sort" in r.json()["error"]["fields"]
    # a key reads shared views, cannot create one
    assert api.get(f"/api/v1/saved-views/{code}/").status_code == 200
    assert api.post("/api/v1/saved-views/", {"name": "K"}, format="json").status_code == 400
    assert outsider_api.get(f"/api/v1/saved-views/{code}/").status_code == 404
    other = APIClient()
    other.force_login(add_member(Role.ANALYST))
    assert other.patch(f"/api/v1/saved-views/{code}/", {"name": "Mine now"},
                       format="json").status_code == 403
    assert c.delete(f"/api/v1/saved-views/{code}/").status_code == 204
