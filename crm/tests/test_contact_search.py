"""Contact search by query kind (crm.selectors.contact_search_q): an address goes to the e-mail
prefix, a number to the phone prefix, anything else to names and companies (and the start of
an address); on PostgreSQL the e-mail and phone kinds are B-tree range scans."""

import re

import pytest
from django.db import connection, transaction

from crm import selectors
from crm.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(workspace):
    def make(**kw):
        return Contact.objects.create(workspace=workspace, **kw)
    return {
        "huda": make(name="هدى السيد", email="huda.elsayed@falcon.example",
                     phone="+966581107022", company="Falcon Travel"),
        "emily": make(name="Emily Wright", email="emily.wright@nakhla.example",
                      phone="+447211782290", company="Nakhla Education"),
        # written by hand in mixed case (every write path lowers addresses; this one did not)
        "odd": make(name="Odd Case", email="Odd.Case@Example.com", company="Mixed Ltd"),
        "falcon": make(name="Sami Falcon", email="sami@desert.example", company="Desert Co"),
    }


def found(ws, q):
    return {c.name for c in selectors.contact_list(ws, q=q)}


def test_each_query_kind_finds_its_contacts(workspace, people):
    assert found(workspace, "huda.elsayed@falcon.example") == {"هدى السيد"}  # full address
    assert found(workspace, "emily.wright@nak") == {"Emily Wright"}  # start of an address
    assert found(workspace, "EMILY.WRIGHT@NAKHLA.EXAMPLE") == {"Emily Wright"}  # any case
    assert found(workspace, "odd.case@example.com") == {"Odd Case"}
    assert found(workspace, "+966581107022") == {"هدى السيد"}  # full phone
    assert found(workspace, "+4472") == {"Emily Wright"}  # start of a phone number
    assert found(workspace, "هدى") == {"هدى السيد"}  # Arabic name
    assert found(workspace, "السيد") == {"هدى السيد"}  # inside the name
    assert found(workspace, "wright") == {"Emily Wright"}
    assert found(workspace, "nakhla") == {"Emily Wright"}  # company fragment
    assert found(workspace, "falcon") == {"هدى السيد", "Sami Falcon"}  # company and name
    assert found(workspace, "sami") == {"Sami Falcon"}  # the start of an address too
    assert found(workspace, "Em") == {"Emily Wright"}  # short: prefixes only
    assert found(workspace, "zzz@nowhere") == set()


def test_an_address_matches_no_name_and_a_number_no_company(workspace, people):
    people["falcon"].company = "desert@home"  # an odd company text with an @
    people["falcon"].save()
    # an address is looked up by address only; its words are not searched in names
    assert found(workspace, "falcon@") == set()
    assert found(workspace, "desert@") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")
@pytest.mark.parametrize("q, index", [("emily.wright@nakhla.example", "contact_ws_email_prefix"),
                                      ("+966581107022", "contact_ws_phone_prefix")])
def test_an_address_or_a_number_is_a_btree_range_scan(workspace, people, q, index):
    Contact.objects.bulk_create([  # enough rows for the planner to prefer an index
        Contact(workspace=workspace, name=f"Person {i}", email=f"p{i}@bulk.example",
                phone=f"+1555{i:07d}", company=f"Company {i % 50}") for i in range(3000)])
    with connection.cursor() as cur:
        cur.execute("ANALYZE crm_contact")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        plan = selectors.contact_list(workspace, q=q).explain()
    assert index in plan and "~>=~" in plan and "trgm" not in plan  # a range of the B-tree


def test_a_search_counts_its_matches_up_to_the_search_cap(owner_client, workspace, people,
                                                         monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    Contact.objects.bulk_create([Contact(workspace=workspace, name=f"Wright {i}")
                                 for i in range(3)])
    body = owner_client.get(f"/w/{workspace.slug}/contacts/", {"q": "wright"},
                            HTTP_HX_REQUEST="true").content.decode()
    assert "of 4" in body and "of 4+" not in body  # one page holds all 4: nothing counted
    from mos import pagination

    monkeypatch.setattr(pagination, "PAGE_SIZE", 1)  # now there are more pages: count
    body = owner_client.get(f"/w/{workspace.slug}/contacts/", {"q": "wright"},
                            HTTP_HX_REQUEST="true").content.decode()
    assert "of 2+" in body  # 4 match: counted up to the cap (500 in production, page 50)
    body = owner_client.get(f"/w/{workspace.slug}/contacts/",
                            HTTP_HX_REQUEST="true").content.decode()
    assert "of 7" in body and "+" not in body.split("of 7")[1][:1]  # no search: all counted



@pytest.fixture
def wrights(workspace):
    """Seven contacts called Wright (a few of them customers), created one day apart, and
    noise that matches nothing."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    rows = [Contact(workspace=workspace, name=f"Wright {i}", email=f"w{i}@example.com",
                    stage="customer" if i % 3 == 0 else "lead",
                    created_at=now - timedelta(days=i)) for i in range(7)]
    rows += [Contact(workspace=workspace, name=f"Other {i}", email=f"o{i}@example.com",
                     created_at=now - timedelta(hours=i)) for i in range(20)]
    Contact.objects.bulk_create(rows)


def _names(body: str) -> list[str]:
    import re

    return re.findall(r"Wright \d", body)


@pytest.mark.parametrize("walk, id_cap", [
    (2000, 10_000),  # the walk fills each page of 3 (PostgreSQL)
    (5, 10_000),  # the walk is too short: all matches by id
    (5, 7),  # exactly all matches by id
    (5, 6),  # more matches than the cap: the plain query
])
def test_a_search_pages_its_matches_newest_first_however_it_finds_them(
        owner_client, workspace, wrights, monkeypatch, walk, id_cap):
    from mos import pagination

    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", walk)
    monkeypatch.setattr(selectors, "SEARCH_ID_CAP", id_cap)
    monkeypatch.setattr(pagination, "PAGE_SIZE", 3)
    url = f"/w/{workspace.slug}/contacts/"
    seen, params = [], {"q": "wright"}
    for _page in range(4):
        resp = owner_client.get(url, params, HTTP_HX_REQUEST="true")
        body = resp.content.decode()
        seen += list(dict.fromkeys(_names(body)))
        after = re.search(r'rel="next" href="[^"]*after=([\w-]+)', body)
        if not after:
            break
        params = {"q": "wright", "after": after.group(1)}
    assert seen == [f"Wright {i}" for i in range(7)]  # newest first, each once, none missing
    assert "of 7" in body
    body = owner_client.get(url, {"q": "wright", "stage": "customer", "sort": "name"},
                            HTTP_HX_REQUEST="true").content.decode()
    assert list(dict.fromkeys(_names(body))) == ["Wright 0", "Wright 3", "Wright 6"]


def test_narrowing_keeps_exactly_the_lists_rows(workspace, wrights, monkeypatch):
    qs = selectors.contact_list(workspace, q="wright", stage="lead", sort="name")
    assert [c.name for c in selectors.narrow_to_matches(qs)] == [
        "Wright 1", "Wright 2", "Wright 4", "Wright 5"]  # the filters hold, in name order
    monkeypatch.setattr(selectors, "SEARCH_ID_CAP", 3)  # more matches than the cap: unchanged
    assert selectors.narrow_to_matches(qs) is qs
    other = selectors.contact_list(workspace, q="nobody-at-all")
    assert list(selectors.narrow_to_matches(other)) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_a_search_page_walks_a_bounded_stretch_then_reads_its_matches_by_id(
        owner_client, workspace, wrights, monkeypatch):
    from django.test.utils import CaptureQueriesContext

    from mos import pagination

    def contact_sql(params):
        with CaptureQueriesContext(connection) as ctx:
            body = owner_client.get(f"/w/{workspace.slug}/contacts/", params,
                                    HTTP_HX_REQUEST="true").content.decode()
        return [q["sql"] for q in ctx.captured_queries if "crm_contact" in q["sql"]], body

    # sparse: 7 matches among 27 cannot fill a page of 50 → walk, then the matches by id
    sqls, body = contact_sql({"q": "wright"})
    walk = [s for s in sqls if s.startswith("WITH w (id, hit) AS MATERIALIZED")]
    probe = [s for s in sqls if s.startswith("WITH m AS MATERIALIZED")]
    assert len(walk) == 1 and "LIMIT 2000" in walk[0] and "ORDER BY" in walk[0]
    assert len(probe) == 1
    fenced, _, outer = probe[0].partition(" LIMIT 10001)")
    assert "ORDER BY" not in fenced  # every match, unsorted, capped
    assert outer.endswith("ORDER BY 2 DESC, 3 DESC LIMIT 51")  # only a page's ids sorted
    page = [s for s in sqls if "ORDER BY" in s and not s.startswith("WITH")]
    assert page and '"crm_contact"."id" IN (' in page[0]  # the page sorts only those ids
    assert "LIKE" not in page[0]  # and does not search again
    assert '"crm_contact"."workspace_id" =' not in page[0]  # nor offer a walk of a ws index
    assert _names(body)[:1] == ["Wright 0"]
    # dense: a page of 3 fills within the walk → no second read of the matches
    monkeypatch.setattr(pagination, "PAGE_SIZE", 3)
    sqls, body = contact_sql({"q": "wright"})
    assert not [s for s in sqls if s.startswith("WITH m AS MATERIALIZED")]
    assert list(dict.fromkeys(_names(body))) == ["Wright 0", "Wright 1", "Wright 2"]


def test_the_api_search_returns_the_same_matches(api, workspace, wrights, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_ID_CAP", 3)
    dense = api.get("/api/v1/contacts/", {"q": "wright"}).json()
    monkeypatch.setattr(selectors, "SEARCH_ID_CAP", 10_000)
    narrow = api.get("/api/v1/contacts/", {"q": "wright"}).json()
    names = [c["name"] for c in narrow["results"]]
    assert names == [f"Wright {i}" for i in range(7)]
    assert [c["name"] for c in dense["results"]] == names


def test_a_narrowed_search_never_shows_another_workspaces_contacts(
        owner_client, api, workspace, other_workspace, wrights):
    Contact.objects.bulk_create([Contact(workspace=other_workspace, name=f"Wright X{i}")
                                 for i in range(3)])
    body = owner_client.get(f"/w/{workspace.slug}/contacts/", {"q": "wright"},
                            HTTP_HX_REQUEST="true").content.decode()
    assert "Wright X" not in body and "of 7" in body
    names = [c["name"] for c in api.get("/api/v1/contacts/", {"q": "wright"}).json()["results"]]
    assert len(names) == 7 and not any("X" in n for n in names)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_an_address_search_skips_the_walk(owner_client, workspace, wrights):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        body = owner_client.get(f"/w/{workspace.slug}/contacts/", {"q": "w3@example.com"},
                                HTTP_HX_REQUEST="true").content.decode()
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in sqls if s.startswith("WITH w (id, hit)")]
    assert [s for s in sqls if s.startswith("WITH m AS MATERIALIZED")]
    assert _names(body)[:1] == ["Wright 3"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans")
def test_a_first_search_page_reuses_the_count_of_its_matches(owner_client, workspace, wrights,
                                                            monkeypatch):
    from django.test.utils import CaptureQueriesContext

    from mos import pagination

    monkeypatch.setattr(pagination, "PAGE_SIZE", 3)
    monkeypatch.setattr(selectors, "SEARCH_WALK_ROWS", 2)  # too short: the matches by id
    with CaptureQueriesContext(connection) as ctx:
        body = owner_client.get(f"/w/{workspace.slug}/contacts/", {"q": "wright"},
                                HTTP_HX_REQUEST="true").content.decode()
    assert "1–3 of 7" in body and "of 7+" not in body
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 5)
    body = owner_client.get(f"/w/{workspace.slug}/contacts/", {"q": "wright"},
                            HTTP_HX_REQUEST="true").content.decode()
    assert "1–3 of 5+" in body
