"""Notifications pages, under /w/<slug>/notifications/."""

from django.urls import path

from . import views_notifications as v

urlpatterns = [
    path("notifications/", v.notification_list, name="notifications"),
    path("notifications/badge/", v.notification_badge, name="notifications_badge"),
    path("notifications/read/", v.notification_read, name="notifications_read"),
    path("notifications/settings/", v.notification_settings, name="notification_settings"),
]
