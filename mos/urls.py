from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views


# Every page URL module mounted under /w/<slug>/ (the tenancy decorator binds the workspace),
# listed explicitly: a typo is an ImportError at start-up, not a feature silently missing.
# They are named by string so that mos imports no app above it; the dashboard is engines'
# "" route (workspace_home).
PAGE_URL_MODULES = [
    "engines.urls",
    "mos.urls_workspace",
    "mos.urls_notifications",
    "crm.urls",
    "crm.importing.urls",
    "crm.tracking.urls",
    "experiments.urls",
    "automation.urls",
    "reports.urls",
    "planning.urls",
]


urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/confirm/<uidb64>/<token>/", views.signup_confirm,
         name="signup_confirm"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/password/", login_required(views.PasswordChangeView.as_view()),
         name="password_change"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("w/new/", views.workspace_create, name="workspace_create"),
    path("w/<slug:slug>/", include([path("", include(m)) for m in PAGE_URL_MODULES])),
    # a message's unsubscribe link works without logging in (signed token; automation app)
    path("unsubscribe/", include("automation.urls_public")),
    # the content calendar's iCal feed and survey answer pages: secret/signed URL, no login
    path("p/", include("planning.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", include("mos.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves Swagger UI's start-up code as a file (no inline script: CSP)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
         name="api-docs"),
    path("admin/", admin.site.urls),
]

# Django's own error answers (DEBUG off) and mos.errors.ErrorPagesMiddleware's (always).
handler400 = "mos.errors.bad_request"
handler403 = "mos.errors.permission_denied"
handler404 = "mos.errors.not_found"
handler500 = "mos.errors.server_error"
