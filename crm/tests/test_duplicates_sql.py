"""The duplicates page groups in SQL (crm migration 0024 on PostgreSQL, the Python key
functions registered on SQLite) and shows what the former all-in-Python scan showed: the same
groups, in the same order, for a hand-built set of near-duplicates."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import connection

from crm import duplicates
from crm.duplicates import _sqlite_functions, duplicate_groups, email_key, name_key, phone_key
from crm.models import Contact

NAMES = [
    "Mohammed Al-Harbi", "محمد الحربي", "Muhammad Alharbi", "مُحَمَّد الحَرْبِي", "Khalid Othman",
    "خالد عثمان", "Fatimah Zahra", "فاطمة الزهراء", "Yousef Qasim", "يوسف قاسم", "أحمد علي",
    "احمد علي", "Éric Dupont", "Eric DUPONT", "José  Núñez-García", "Zoë O'Brien", "Ali",
    "Al Al", "El-Sayed Ahmed", "Abdullah bin Saud", "عبدالله بن سعود", "Lina Al-Shehri",
    "لينا الشهري", "Thabit Dhafer", "Chuck Xu", "Philippe Quentin", "  ", "", "ـــ",
    "Gholam Shahram", "غلام شهرام", "پژمان گودرزی", "ڤيڤيان", "Ånström Ølsen", "李 小龙",
    "Mary-Jane Watson", "M. J. Watson", "Hasan Hassan", "Llewellyn Lloyd", "ﻣﺤﻤﺪ ﻋﻠﻲ",
    "Amr ibn al-As", "Łukasz Żółć",
]
EMAILS = ["Layla.H+promo@GMail.com", "laylah@gmail.com", " LAYLAH@googlemail.com ",
          "a+b+c@example.test", "a@example.test", "no-at-sign", "", "x@y@z.test",
          "first.last@Example.Test", "first.last+x@example.test", "@nobody.test"]
PHONES = ["+966 50 123 4567", "0501234567", "(050) 123-4567", "١٢٣٤٥٦٧٨٩", "٠٥٠١٢٣٤٥٦٧",
          "۰۵۰۱۲۳۴۵۶۷", "1234567", "12345678", "", "ext. 12", "+1 (415) 555-0100 x12"]


def _sql_key(fname: str, value: str) -> str:
    if connection.vendor == "sqlite":
        _sqlite_functions(connection)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {fname}(%s)", [value])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_sql_keys_equal_the_python_keys():
    for name in NAMES:
        assert _sql_key("mos_dup_name_key", name) == name_key(name), name
    for email in EMAILS:
        assert _sql_key("mos_dup_email_key", email) == email_key(email), email
    for phone in PHONES:
        assert _sql_key("mos_dup_phone_key", phone) == phone_key(phone), phone


def _python_scan(workspace, limit=200):
    """The page's former algorithm (every contact read and keyed in Python), for comparison."""
    buckets = defaultdict(list)
    for pk, name, email, phone in Contact.objects.filter(workspace=workspace).values_list(
            "id", "name", "email", "phone"):
        for reason, k in (("email", email_key(email)), ("phone", phone_key(phone)),
                          ("name", name_key(name))):
            if k:
                buckets[(reason, k)].append(pk)
    order = {"email": 0, "phone": 1, "name": 2}
    seen, groups = set(), []
    for (reason, key), ids in sorted(buckets.items(),
                                     key=lambda kv: (order[kv[0][0]], -max(kv[1]))):
        if len(ids) < 2 or len(ids) > 20 or frozenset(ids) in seen:
            continue
        seen.add(frozenset(ids))
        groups.append((reason, key, sorted(ids)))
    groups.sort(key=lambda g: -max(g[2]))
    return groups[:limit]


def _shown(workspace, limit=200):
    return [(g["reason"], g["key"], [c.pk for c in g["contacts"]])
            for g in duplicate_groups(workspace, limit=limit)]


@pytest.fixture
def near_duplicates(workspace, other_workspace):
    def add(name="", email="", phone="", ws=workspace):
        return Contact.objects.create(workspace=ws, name=name, email=email, phone=phone).pk

    c = {}
    c["harbi_en"] = add("Mohammed Al-Harbi", "m.harbi@gmail.com", "+966501234567")
    c["harbi_ar"] = add("محمد الحربي", phone="0501234567")
    c["harbi_mail"] = add("Someone Else", "mharbi+news@googlemail.com")
    # same two people under e-mail and phone: shown once, as e-mail
    c["twin1"] = add("Rana Saleh", "rana@example.test", "+966 55 000 1111")
    c["twin2"] = add("Rana S.", "RANA+x@example.test", "0550001111")
    c["eric1"] = add("Éric Dupont")
    c["eric2"] = add("Eric DUPONT")
    c["khalid_ar"] = add("خالد عثمان")
    c["khalid_en"] = add("Khalid Othman")
    c["khalid_other"] = add("Khalid Hassan")  # not the same name
    c["short"] = add("Ali")
    c["short2"] = add("Ali")  # a single short word proposes nothing
    for i in range(21):  # 21 share a placeholder number: not a person
        add(phone="+966 11 111 1111")
    c["fatimah"] = add("Fatimah Zahra")
    c["fatimah_ar"] = add("فاطمة الزهراء")
    add("Fatimah Zahra", ws=other_workspace)  # another workspace's contact never joins
    return c


@pytest.mark.django_db
def test_sql_groups_equal_the_former_python_scan(workspace, near_duplicates):
    c = near_duplicates
    shown = _shown(workspace)
    assert shown == _python_scan(workspace)
    # by hand: newest member first; e-mail before phone before name for one contact set
    assert [(r, ids) for r, _k, ids in shown] == [
        ("name", [c["fatimah"], c["fatimah_ar"]]),
        ("name", [c["khalid_ar"], c["khalid_en"]]),
        ("name", [c["eric1"], c["eric2"]]),
        ("email", [c["twin1"], c["twin2"]]),
        ("email", [c["harbi_en"], c["harbi_mail"]]),
        ("phone", [c["harbi_en"], c["harbi_ar"]]),  # their names match too: shown once
    ]
    assert shown[3][1] == "rana@example.test" and shown[5][1] == "501234567"


@pytest.mark.django_db
def test_a_short_page_is_the_first_groups(workspace, near_duplicates):
    assert _shown(workspace, limit=3) == _python_scan(workspace, limit=3)
    assert _shown(workspace, limit=1) == _python_scan(workspace, limit=1)


@pytest.mark.django_db
def test_refetch_when_stronger_groups_hide_many(workspace, monkeypatch):
    # 30 pairs each matching on e-mail, phone and name: 90 rows, 30 groups
    ids, consonants = [], "bdfgjkmnprstvz"
    for i in range(30):
        surname = f"{consonants[i % 14]}o{consonants[5 + i // 14]}e"
        for j in range(2):
            ids.append(Contact.objects.create(
                workspace=workspace, name=f"Person {surname}", email=f"p{i}+{j}@example.test",
                phone=f"+96650{i:07d}").pk)
    fetches = []
    real = duplicates._group_rows
    monkeypatch.setattr(duplicates, "_group_rows",
                        lambda ws, fetch: fetches.append(fetch) or real(ws, fetch))
    shown = _shown(workspace, limit=20)
    assert fetches == [50, 200]  # 50 rows held only 17 groups: fetched again
    assert shown == _python_scan(workspace, limit=20)
    assert len(shown) == 20 and {r for r, _k, _i in shown} == {"email"}
    assert shown[0][2] == ids[-2:]
