from django.urls import path

from . import views

urlpatterns = [
    path("engines/", views.engine_list, name="engines"),
    path("engines/new/", views.engine_create, name="engine_create"),
    path("engines/<uuid:engine_code>/", views.engine_detail, name="engine_detail"),
    path("engines/<uuid:engine_code>/edit/", views.engine_edit, name="engine_edit"),
    path("insights/", views.insight_list, name="insights"),
    path("insights/from-feedback/<uuid:feedback_code>/", views.insight_from_feedback,
         name="insight_from_feedback"),
    path("insights/from-quality/", views.insight_from_quality, name="insight_from_quality"),
    path("experiments/", views.backlog, name="experiments"),
    path("experiments/new/", views.experiment_create, name="experiment_create"),
    path("experiments/sample-size/", views.sample_size, name="experiment_sample_size"),
    path("experiments/settings/", views.experiment_settings, name="experiment_settings"),
    path("experiments/<uuid:experiment_code>/", views.experiment_detail,
         name="experiment_detail"),
    path("experiments/<uuid:experiment_code>/edit/", views.experiment_edit,
         name="experiment_edit"),
    path("experiments/<uuid:experiment_code>/status/", views.experiment_status,
         name="experiment_status"),
    path("experiments/<uuid:experiment_code>/decide/", views.experiment_decide,
         name="experiment_decide"),
    path("experiments/<uuid:experiment_code>/srm/", views.experiment_srm,
         name="experiment_srm"),
    path("experiments/<uuid:experiment_code>/review/", views.experiment_review,
         name="experiment_review"),
    path("experiments/<uuid:experiment_code>/results/", views.experiment_results,
         name="experiment_results"),
    path("learnings/", views.learning_list, name="learnings"),
]
