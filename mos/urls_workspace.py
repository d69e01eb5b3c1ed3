"""Workspace administration pages, under /w/<slug>/settings/."""

from django.urls import path

from . import views

urlpatterns = [
    path("settings/", views.workspace_settings, name="workspace_settings"),
    path("settings/members/", views.members, name="members"),
    path("settings/members/<uuid:member_code>/role/", views.member_role, name="member_role"),
    path("settings/members/<uuid:member_code>/remove/", views.member_remove,
         name="member_remove"),
    path("settings/api-keys/", views.api_keys, name="api_keys"),
    path("settings/api-keys/<uuid:key_code>/revoke/", views.api_key_revoke,
         name="api_key_revoke"),
    path("settings/audit/", views.audit_log, name="audit_log"),
]
