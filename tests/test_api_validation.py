"""Issue 8 §6: API validation gaps — a write key names the lead-feedback rep; contact properties are capped."""

from crm.models import Contact, LeadFeedback, Stage


def test_write_key_names_the_rep(api, workspace, add_member):
    rep = add_member("sales_rep", "sam@acme.test")
    lead = Contact.objects.create(workspace=workspace, email="l@example.com", stage=Stage.LEAD,
                                  owner=rep)
    body = {"contact": str(lead.code), "quality": 4, "outcome": "accepted"}
    missing = api.post("/api/v1/lead-feedback/", body, format="json")
    assert missing.status_code == 400 and "rep" in missing.json()["error"]["fields"]
    r = api.post("/api/v1/lead-feedback/", {**body, "rep": "Sam@Acme.test"}, format="json")
    assert r.status_code == 201, r.content[:300]
    assert r.json()["rep"] == "sam@acme.test"
    assert LeadFeedback.objects.get(contact=lead).rep == rep


def test_key_cannot_name_a_stranger_or_a_viewer(api, workspace, add_member, outsider):
    viewer = add_member("viewer", "vic@acme.test")
    lead = Contact.objects.create(workspace=workspace, email="l@example.com", stage=Stage.LEAD)
    for email in (outsider.email, viewer.email):
        r = api.post("/api/v1/lead-feedback/", {"contact": str(lead.code), "quality": 3,
                                                "outcome": "accepted", "rep": email},
                     format="json")
        assert r.status_code == 400 and "rep" in r.json()["error"]["fields"]
    assert not LeadFeedback.objects.exists()


def test_a_person_is_their_own_rep(workspace, add_member, client_for):
    rep = add_member("sales_rep", "sam@acme.test")
    other = add_member("growth_lead", "gail@acme.test")
    lead = Contact.objects.create(workspace=workspace, email="l@example.com", stage=Stage.LEAD,
                                  owner=rep)
    c = client_for(rep)
    r = c.post("/api/v1/lead-feedback/", {"contact": str(lead.code), "quality": 5,
                                          "outcome": "accepted", "rep": other.email},
               content_type="application/json", HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 400
    r = c.post("/api/v1/lead-feedback/", {"contact": str(lead.code), "quality": 5,
                                          "outcome": "accepted"},
               content_type="application/json", HTTP_X_WORKSPACE=workspace.slug)
    assert r.status_code == 201 and r.json()["rep"] == rep.email


def test_huge_contact_properties_are_refused(api, workspace):
    from crm.models import Contact

    big = {"blob": "x" * (65 * 1024)}
    r = api.post("/api/v1/contacts/", {"email": "p@example.com", "properties": big},
                 format="json")
    assert r.status_code == 400
    assert "at most 64 KB" in r.json()["error"]["fields"]["properties"][0]
    assert not Contact.objects.filter(workspace=workspace, email="p@example.com").exists()
    ok = api.post("/api/v1/contacts/", {"email": "p@example.com",
                                        "properties": {"plan": "pro"}}, format="json")
    assert ok.status_code == 201
