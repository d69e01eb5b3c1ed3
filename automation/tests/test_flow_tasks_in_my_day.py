"""automation's create-task step writes a CRM task activity, so a rep has one to-do list."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crm.activities import selectors
from crm.models import Contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(add_member):
    return add_member("sales_rep", email="rep@acme.test")


@pytest.fixture
def leads(workspace, rep):
    return (Contact.objects.create(workspace=workspace, name="Layla Haddad", stage="lead",
                                   owner=rep),)


def test_flow_task_is_a_crm_task_in_my_day(workspace, rep, leads):
    """automation's create-task step writes a CRM task activity: the rep has one list."""
    from automation.engine import _run_action
    from automation.models import Enrollment, Flow, Step

    (mine,) = leads
    flow = Flow.objects.create(workspace=workspace, name="Trial", trigger="event",
                               trigger_config={"event": "signup"}, goal="order")
    step = Step.objects.create(workspace=workspace, flow=flow, kind="create_task",
                               config={"title": "Call before the trial ends", "due_days": 2})
    enr = Enrollment.objects.create(workspace=workspace, flow=flow, contact=mine)
    _run_action(step, enr, mine, timezone.now())
    day = selectors.my_day(workspace, rep)
    assert [t.subject for t in day["upcoming"]] == ["Call before the trial ends"]
    assert day["upcoming"][0].source == f"flow:{flow.code}"
