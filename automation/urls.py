from django.urls import path

from . import views

urlpatterns = [
    path("flows/", views.flow_list, name="flows"),
    path("flows/new/", views.flow_create, name="flow_create"),
    path("flows/difference-in-differences/", views.did_analysis, name="did_analysis"),
    path("flows/from-template/", views.flow_from_template, name="flow_from_template"),
    path("flows/<uuid:flow_code>/", views.flow_detail, name="flow_detail"),
    path("flows/<uuid:flow_code>/edit/", views.flow_builder, name="flow_builder"),
    path("flows/<uuid:flow_code>/status/", views.flow_status, name="flow_status"),
    path("flows/<uuid:flow_code>/steps/<uuid:step_code>/move/", views.flow_step_move,
         name="flow_step_move"),
    path("flows/<uuid:flow_code>/steps/<uuid:step_code>/delete/", views.flow_step_delete,
         name="flow_step_delete"),
]
