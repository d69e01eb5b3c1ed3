"""A new workspace's data-quality page says "no data yet" (not a wall of green cards), and the
tracking plan refuses names that are not lower_snake_case, suggesting the right one."""

import pytest

from crm.models import Contact, TrackedEvent

pytestmark = pytest.mark.django_db


def test_empty_workspace_data_quality_says_no_data_yet(owner_client, workspace):
    page = owner_client.get(f"/w/{workspace.slug}/data-quality/").content.decode()
    assert "No data yet" in page and "is-good" not in page and "All clean" not in page
    Contact.objects.create(workspace=workspace, name="Lina")
    page = owner_client.get(f"/w/{workspace.slug}/data-quality/").content.decode()
    assert "No data yet" not in page and "dq-cards" in page


@pytest.mark.parametrize("typed, suggestion", [("Signup Completed!", "signup_completed"),
                                               ("orderPlaced", "order_placed")])
def test_tracking_plan_refuses_names_off_convention(owner_client, workspace, typed, suggestion):
    r = owner_client.post(f"/w/{workspace.slug}/data-quality/tracking-plan/", {"name": typed})
    assert r.status_code == 400  # the form again, with the field error
    page = r.content.decode()
    assert "lower_snake_case" in page and f"“{suggestion}”" in page
    assert not TrackedEvent.objects.filter(workspace=workspace).exists()
    owner_client.post(f"/w/{workspace.slug}/data-quality/tracking-plan/", {"name": suggestion})
    assert TrackedEvent.objects.filter(workspace=workspace, name=suggestion).exists()
