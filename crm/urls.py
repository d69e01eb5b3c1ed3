"""CRM pages, mounted under /w/<slug>/ (mos.urls PAGE_URL_MODULES)."""

from django.urls import path

from .views import contacts as c
from .channels import views as ch
from .views import corrections, leads, lifecycle, personas, segments

urlpatterns = [
    path("contacts/", c.contacts, name="contacts"),
    path("contacts/new/", c.contact_create, name="contact_create"),
    path("contacts/<uuid:contact_code>/", c.contact_detail, name="contact_detail"),
    path("contacts/<uuid:contact_code>/edit/", c.contact_edit, name="contact_edit"),
    path("contacts/<uuid:contact_code>/orders/<uuid:order_code>/delete/",
         c.contact_order_delete, name="contact_order_delete"),
    path("contacts/<uuid:contact_code>/orders/<uuid:order_code>/edit/",
         corrections.contact_order_edit, name="contact_order_edit"),
    path("contacts/<uuid:contact_code>/events/<uuid:event_code>/edit/",
         corrections.contact_event_edit, name="contact_event_edit"),
    path("contacts/<uuid:contact_code>/events/<uuid:event_code>/delete/",
         corrections.contact_event_delete, name="contact_event_delete"),
    path("contacts/<uuid:contact_code>/export.json", corrections.contact_export_json,
         name="contact_export_json"),
    path("contacts/<uuid:contact_code>/export.csv", corrections.contact_export_csv,
         name="contact_export_csv"),
    path("contacts/<uuid:contact_code>/stage/", c.contact_stage, name="contact_stage"),
    path("contacts/<uuid:contact_code>/consent/", c.contact_consent,
         name="contact_consent"),
    path("leads/", leads.my_leads, name="my_leads"),
    path("leads/<uuid:contact_code>/", leads.lead_detail, name="lead_detail"),
    path("leads/<uuid:contact_code>/feedback/", leads.lead_feedback, name="lead_feedback"),
    path("leads/<uuid:contact_code>/advance/", leads.lead_advance, name="lead_advance"),
    path("segments/", segments.segments, name="segments"),
    path("segments/new/", segments.segment_create, name="segment_create"),
    path("segments/<uuid:segment_code>/", segments.segment_detail, name="segment_detail"),
    path("segments/<uuid:segment_code>/edit/", segments.segment_edit, name="segment_edit"),
    path("personas/", personas.personas, name="personas"),
    path("personas/new/", personas.persona_create, name="persona_create"),
    path("personas/<uuid:persona_code>/", personas.persona_detail, name="persona_detail"),
    path("personas/<uuid:persona_code>/edit/", personas.persona_edit, name="persona_edit"),
    path("channels/", ch.channels, name="channels"),
    path("channels/standard/", ch.channels_add_standard, name="channels_add_standard"),
    path("channels/new/", ch.channel_create, name="channel_create"),
    path("channels/<uuid:channel_code>/", ch.channel_edit, name="channel_edit"),
    path("channels/<uuid:channel_code>/archive/", ch.channel_archive, name="channel_archive"),
    path("campaigns/", ch.campaigns, name="campaigns"),
    path("campaigns/new/", ch.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:campaign_code>/", ch.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:campaign_code>/archive/", ch.campaign_archive,
         name="campaign_archive"),
    path("lifecycle/", lifecycle.lifecycle, name="lifecycle"),
]
