from django.urls import path

from . import views, views_revenue

urlpatterns = [
    path("", views.home, name="workspace_home"),  # the dashboard is the workspace's home
    path("metrics/recompute/", views.recompute, name="metrics_recompute"),
    path("metrics/runs/<uuid:run_code>/", views.run_status, name="metric_run_status"),
    path("kpis/", views.kpis, name="kpis"),
    path("metrics/definitions/", views.metric_definitions, name="metric_definitions"),
    path("revenue/movements/", views_revenue.mrr_movements, name="mrr_movements"),
    path("models/", views_revenue.models_page, name="models"),
    path("revenue/orders/", views_revenue.order_rows, name="drill_orders"),
    path("revenue/new-customers/", views_revenue.new_customer_rows, name="drill_new_customers"),
    path("kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<uuid:kpi_code>/", views.kpi_edit, name="kpi_edit"),
    path("kpis/<uuid:kpi_code>/delete/", views.kpi_delete, name="kpi_delete"),
    path("kpis/<uuid:kpi_code>/move/", views.kpi_move, name="kpi_move"),
]
