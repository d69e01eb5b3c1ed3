"""Data quality and tracking-plan pages, mounted under /w/<slug>/ (mos.urls PAGE_URL_MODULES)."""

from django.urls import path

from . import views

urlpatterns = [
    path("data-quality/", views.data_quality, name="data_quality"),
    path("data-quality/tracking-plan/", views.tracking_plan, name="tracking_plan"),
    path("data-quality/tracking-plan/<uuid:tracked_event_code>/edit/",
         views.tracked_event_edit, name="tracked_event_edit"),
    path("data-quality/tracking-plan/<uuid:tracked_event_code>/delete/",
         views.tracked_event_delete, name="tracked_event_delete"),
]
