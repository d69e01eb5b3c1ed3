"""CRM pages, mounted under /w/<slug>/ (mos.urls PAGE_URL_MODULES)."""

from django.urls import path

from . import views

urlpatterns = [
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<uuid:contact_code>/", views.contact_detail, name="contact_detail"),
    path("contacts/<uuid:contact_code>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<uuid:contact_code>/stage/", views.contact_stage, name="contact_stage"),
    path("contacts/<uuid:contact_code>/consent/", views.contact_consent,
         name="contact_consent"),
    path("leads/", views.my_leads, name="my_leads"),
    path("leads/<uuid:contact_code>/feedback/", views.lead_feedback, name="lead_feedback"),
    path("segments/", views.segments, name="segments"),
    path("segments/new/", views.segment_create, name="segment_create"),
    path("segments/<uuid:segment_code>/", views.segment_detail, name="segment_detail"),
    path("segments/<uuid:segment_code>/edit/", views.segment_edit, name="segment_edit"),
    path("personas/", views.personas, name="personas"),
    path("personas/new/", views.persona_create, name="persona_create"),
    path("personas/<uuid:persona_code>/", views.persona_detail, name="persona_detail"),
    path("personas/<uuid:persona_code>/edit/", views.persona_edit, name="persona_edit"),
    path("lifecycle/", views.lifecycle, name="lifecycle"),
]
