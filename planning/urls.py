"""Page routes of the planning app, mounted under /w/<slug>/ by mos.urls."""
from django.urls import include, path

urlpatterns = [
    path("", include("planning.urls_plans")),  # SOSTAC, bets, checklists, budget, rhythm, cycle
]
