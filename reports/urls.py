from django.urls import path

from . import review_views, views

urlpatterns = [
    path("reports/", views.report_list, name="reports"),
    path("reports/draft/", views.report_draft_now, name="report_draft_now"),
    path("reports/decisions/<uuid:decision_code>/", views.decision_edit, name="decision_edit"),
    path("reports/<str:month>/", views.report_detail, name="report_detail"),
    path("reports/<str:month>/pdf/", views.report_pdf, name="report_pdf"),
    path("reports/<str:month>/edit/", views.report_edit, name="report_edit"),
    path("reports/<str:month>/decisions/", views.decision_add, name="report_decision_add"),
    path("reports/<str:month>/publish/", views.report_publish, name="report_publish"),
    path("reports/<str:month>/supersede/", views.report_supersede, name="report_supersede"),
    path("review/", review_views.review, name="weekly_review"),
    path("review/decisions/", review_views.review_decision, name="review_decision"),
    path("review/experiments/<uuid:experiment_code>/status/",
         review_views.review_experiment_status, name="review_experiment_status"),
    path("review/engines/<uuid:engine_code>/checkin/", review_views.review_checkin,
         name="review_checkin"),
]
