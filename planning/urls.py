"""Page routes of the planning app, mounted under /w/<slug>/ by mos.urls."""
from django.urls import include, path

urlpatterns = []
urlpatterns += [path("", include("planning.urls_content"))]  # content calendar, plans, service
