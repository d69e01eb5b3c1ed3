"""The one page outside a workspace: a message's unsubscribe link (signed token, no login)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.unsubscribe, name="automation_unsubscribe"),
]
