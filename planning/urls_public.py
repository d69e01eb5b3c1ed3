"""Pages outside a workspace, each authenticated by a secret in its URL: the content
calendar's iCal feed and a survey's answer page (signed per-contact token, no login)."""

from django.urls import path

from planning.content import service_views, views

urlpatterns = [
    path("calendar/<str:token>.ics", views.content_ical, name="content_ical"),
    path("survey/<str:token>/", service_views.survey_answer, name="survey_answer"),
]
