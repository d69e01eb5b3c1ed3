"""Issue 8 §5: a bounded schemathesis run over the whole OpenAPI schema — every operation, a
fixed seed, a few generated requests each, authenticated with a write key — finds no server
error and no response that breaks the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mos.wsgi import application

EXAMPLES_PER_OPERATION = 3
# The bulk endpoints take free-form row objects: they get more examples (still bounded and
# derandomized), so odd rows — objects where text is expected, NUL characters, huge numbers —
# are tried against every one of them.
BULK_EXAMPLES = 12


@pytest.fixture
def seeded(workspace, api):
    """A workspace with one of each thing, so reads return rows with their nullable fields."""
    api.post("/api/v1/contacts/bulk", {"rows": [
        {"email": "ada@example.com", "first_name": "Ada", "external_id": "c-1"},
        {"email": "", "phone": "+15550001", "external_id": "c-2"}]}, format="json")
    api.post("/api/v1/events/bulk", {"rows": [
        {"contact": "ada@example.com", "name": "page_view",
         "occurred_at": "2026-01-05T10:00:00Z"}]}, format="json")
    return workspace


@pytest.mark.django_db(transaction=True)
def test_rows_with_null_channel_campaign_and_blank_email_fit_the_schema(workspace, api):
    """The known violations: a lead with no source channel and no e-mail, an event with no
    campaign — real rows, read back through the documented operations."""
    from django.utils import timezone

    from crm.models import Contact, Event, Stage

    lead = Contact.objects.create(workspace=workspace, email="", phone="+15550002",
                                  stage=Stage.LEAD)
    Event.objects.create(workspace=workspace, contact=lead, name="page_view",
                         occurred_at=timezone.now())
    auth = api._credentials["HTTP_AUTHORIZATION"]
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    for path, params in [("/api/v1/contacts/{code}/", {"code": str(lead.code)}),
                         ("/api/v1/leads/", {}),
                         ("/api/v1/leads/{code}/", {"code": str(lead.code)})]:
        case = schema[path]["GET"].Case(path_parameters=params)
        response = case.call_and_validate(headers={"Authorization": auth},
                                          checks=[not_a_server_error,
                                                  response_schema_conformance])
        assert response.status_code == 200, (path, response.text[:300])


@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_within_its_schema(seeded, api_key_for):
    from mos.models import Membership

    client = api_key_for(seeded, "write")
    auth = client._credentials["HTTP_AUTHORIZATION"]
    assert Membership.objects.filter(workspace=seeded).exists()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    failures: list[str] = []
    calls = [0]
    operations = 0
    bulk_operations: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        bulk = operation.path.rstrip("/").endswith("/bulk")
        if bulk:
            bulk_operations.append(operation.path)

        @given(case=operation.as_strategy())
        @settings(max_examples=BULK_EXAMPLES if bulk else EXAMPLES_PER_OPERATION,
                  derandomize=True, database=None,
                  deadline=None, suppress_health_check=list(HealthCheck))
        def run(case):
            calls[0] += 1
            try:
                case.call_and_validate(
                    headers={"Authorization": auth, "X-Workspace": seeded.slug},
                    checks=[not_a_server_error, response_schema_conformance])
            except (Exception, BaseExceptionGroup) as e:  # noqa: BLE001 — reported below
                failures.append(f"{operation.method.upper()} {operation.path}: "
                                f"{type(e).__name__}: {str(e)[:400]}")
                raise

        try:
            run()
        except (Exception, BaseExceptionGroup):  # noqa: BLE001 — hypothesis re-raises it
            pass
    assert operations > 40, operations  # the whole schema, not a corner of it
    assert len(bulk_operations) >= 6, bulk_operations  # the bulk endpoints are included
    print(f"schemathesis: {operations} operations, {calls[0]} requests, {len(failures)} failures")
    assert not failures, "\n".join(failures)
