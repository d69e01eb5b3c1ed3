"""Content calendar, campaign plans and customer-service pages (under /w/<slug>/)."""

from django.urls import path

from planning.content import service_views as sv
from planning.content import views as v

urlpatterns = [
    path("content/", v.content_calendar, name="content_calendar"),
    path("content/new/", v.content_item_create, name="content_item_create"),
    path("content/feed/", v.content_feed, name="content_feed"),
    path("content/<uuid:item_code>/", v.content_item, name="content_item"),
    path("content/<uuid:item_code>/edit/", v.content_item_edit, name="content_item_edit"),
    path("content/<uuid:item_code>/delete/", v.content_item_delete,
         name="content_item_delete"),
    path("campaign-plans/", v.campaign_plans, name="campaign_plans"),
    path("campaign-plans/new/", v.campaign_plan_create, name="campaign_plan_create"),
    path("campaign-plans/<uuid:campaign_plan_code>/", v.campaign_plan, name="campaign_plan"),
    path("campaign-plans/<uuid:campaign_plan_code>/edit/", v.campaign_plan_edit,
         name="campaign_plan_edit"),
    path("service/", sv.service_home, name="service_home"),
    path("service/complaints/new/", sv.complaint_create, name="complaint_create"),
    path("service/complaints/<uuid:complaint_code>/", sv.complaint_edit, name="complaint_edit"),
    path("service/surveys/new/", sv.survey_create, name="survey_create"),
    path("service/surveys/<uuid:survey_code>/", sv.survey_detail, name="survey_detail"),
    path("service/surveys/<uuid:survey_code>/edit/", sv.survey_edit, name="survey_edit"),
    path("service/surveys/<uuid:survey_code>/send/", sv.survey_send, name="survey_send"),
    path("service/surveys/<uuid:survey_code>/close/", sv.survey_close, name="survey_close"),
    path("service/answers/<uuid:answer_code>/insight/", sv.survey_answer_insight,
         name="survey_answer_insight"),
]
