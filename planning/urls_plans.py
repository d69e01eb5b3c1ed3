"""Routes of the plans (plan14), included by planning/urls.py under /w/<slug>/."""
from django.urls import path

from . import views_plans as v

urlpatterns = [
    path("planning/", v.planning_index, name="planning"),
    path("planning/sostac/", v.sostac_list, name="planning_sostac"),
    path("planning/sostac/<uuid:plan_code>/", v.plan_detail, name="planning_plan"),
    path("planning/sostac/<uuid:plan_code>/sections/<slug:section>/", v.plan_section,
         name="planning_plan_section"),
    path("planning/sostac/<uuid:plan_code>/objectives/", v.plan_objective_add,
         name="planning_plan_objective_add"),
    path("planning/sostac/<uuid:plan_code>/actions/", v.plan_action_add,
         name="planning_plan_action_add"),
    path("planning/sostac/<uuid:plan_code>/rows/<uuid:row_code>/", v.plan_row,
         name="planning_plan_row"),
    path("planning/sostac/<uuid:plan_code>/publish/", v.plan_publish,
         name="planning_plan_publish"),
    path("planning/sostac/<uuid:plan_code>/v/<int:number>/", v.plan_version,
         name="planning_plan_version"),
    path("planning/sostac/<uuid:plan_code>/v/<int:number>/pdf/", v.plan_pdf,
         name="planning_plan_pdf"),
    path("planning/bets/", v.bets, name="planning_bets"),
    path("planning/bets/<uuid:bet_code>/score/", v.bet_score, name="planning_bet_score"),
    path("planning/bets/<uuid:bet_code>/delete/", v.bet_delete, name="planning_bet_delete"),
    path("planning/checklists/", v.checklist_list, name="planning_checklists"),
    path("planning/checklists/<uuid:checklist_code>/", v.checklist_detail,
         name="planning_checklist"),
    path("planning/checklist-items/<uuid:item_code>/", v.checklist_item,
         name="planning_checklist_item"),
    path("planning/budget/", v.budget_list, name="planning_budget"),
    path("planning/budget/<uuid:budget_code>/", v.budget_plan, name="planning_budget_plan"),
    path("planning/rhythm/", v.rhythm, name="planning_rhythm"),
    path("planning/cycle/", v.cycle, name="planning_cycle"),
]
