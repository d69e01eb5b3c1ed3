"""Page routes of the planning app, mounted under /w/<slug>/ by mos.urls."""
from django.urls import path  # noqa: F401

urlpatterns = []
