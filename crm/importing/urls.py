"""CSV import pages, under /w/<slug>/imports/."""

from django.urls import path

from . import views as v

urlpatterns = [
    path("imports/", v.imports_page, name="imports"),
    path("imports/<uuid:import_code>/", v.import_detail, name="import_detail"),
    path("imports/<uuid:import_code>/confirm/", v.import_confirm, name="import_confirm"),
    path("imports/<uuid:import_code>/cancel/", v.import_cancel, name="import_cancel"),
    path("imports/<uuid:import_code>/retry/", v.import_retry, name="import_retry"),
    path("imports/<uuid:import_code>/progress/", v.import_progress, name="import_progress"),
    path("imports/<uuid:import_code>/rejected.csv", v.import_errors_csv,
         name="import_errors_csv"),
]
