"""Shared fixtures: a workspace owner, a member with a narrower role, and an outsider from
another workspace who must see nothing."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from mos import services
from mos.actors import Actor
from mos.models import Membership, User
from mos.roles import Role

PASSWORD = "a-strong-test-password"


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and idempotency caches must not leak between tests."""
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def make_user(email: str, name: str = "") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, name=name or email)


@pytest.fixture
def owner(db) -> User:
    return make_user("owner@acme.test", "Olivia Owner")


@pytest.fixture
def workspace(owner):
    return services.workspace_create(user=owner, name="Acme")


@pytest.fixture
def owner_actor(owner, workspace) -> Actor:
    return Actor.for_member(Membership.objects.get(user=owner, workspace=workspace))


@pytest.fixture
def add_member(workspace):
    def add(role: str, email: str | None = None) -> User:
        user = make_user(email or f"{role}@acme.test", role.replace("_", " ").title())
        Membership.objects.create(user=user, workspace=workspace, role=role)
        return user
    return add


@pytest.fixture
def member(add_member) -> User:
    """A marketer: can work in the CRM, cannot touch settings, members or keys."""
    return add_member(Role.MARKETER)


@pytest.fixture
def outsider(db) -> User:
    user = make_user("outsider@globex.test", "Otto Outsider")
    services.workspace_create(user=user, name="Globex")
    return user


@pytest.fixture
def other_workspace(outsider):
    return Membership.objects.get(user=outsider).workspace


def _client_for(user: User):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def owner_client(owner, workspace):
    return _client_for(owner)


@pytest.fixture
def member_client(member):
    return _client_for(member)


@pytest.fixture
def outsider_client(outsider, other_workspace):
    return _client_for(outsider)


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture
def api_key_for():
    """api_key_for(workspace, scope) → an APIClient authenticated with a new key."""
    def make(ws, scope: str = "write"):
        admin = Membership.objects.filter(workspace=ws, role=Role.ADMIN).first()
        _key, secret = services.api_key_create(actor=Actor.for_member(admin), name="test",
                                               scope=scope)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return c
    return make


@pytest.fixture
def api(workspace, api_key_for):
    """An API client with a write key of the owner's workspace."""
    return api_key_for(workspace, "write")


@pytest.fixture
def outsider_api(other_workspace, api_key_for):
    return api_key_for(other_workspace, "write")


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = "redis" if settings.REDIS_URL else "memory (eager)"
    return f"MOS tests on database={db}, cache/broker={broker}, DATABASE_URL set: {bool(os.environ.get('DATABASE_URL'))}"
