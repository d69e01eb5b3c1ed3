"""The sidebar: sections in the order a team works, each heading above its first entry the
role may open; a section with nothing the role may open has no heading."""

import re

import pytest

from mos.roles import Role

pytestmark = pytest.mark.django_db


def _sidebar(client, ws):
    body = client.get(f"/w/{ws.slug}/contacts/").content.decode()
    nav = body[body.index('id="sidenav"'):body.index("</nav>", body.index('id="sidenav"'))]
    return re.findall(r'class="nav-section"[^>]*>([^<]+)<|<a href="[^"]+"[^>]*>'
                      r'<span[^>]*>[^<]*</span>([^<]+)</a>', nav)


def test_admin_sees_every_section_in_order(owner_client, workspace):
    rows = _sidebar(owner_client, workspace)
    headings = [h for h, _ in rows if h]
    assert headings == ["Customers", "Growth", "Plan and review", "Data", "Workspace"]
    labels = [label for _, label in rows if label]
    assert labels[:3] == ["Dashboard", "My day", "My leads"]
    # a heading sits right above its section's first entry
    flat = [h or label for h, label in rows]
    assert flat[flat.index("Customers") + 1] == "Contacts"
    assert flat[flat.index("Workspace") + 1] == "Settings"


def test_a_viewer_gets_no_heading_for_a_section_it_cannot_open(add_member, client_for,
                                                               workspace):
    viewer = client_for(add_member(Role.VIEWER))
    rows = _sidebar(viewer, workspace)
    headings = [h for h, _ in rows if h]
    labels = [label for _, label in rows if label]
    assert "Workspace" not in headings and "Settings" not in labels
    assert "Customers" in headings and "Contacts" in labels
