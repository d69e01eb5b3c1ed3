"""Planning models. Each area of the planning app has its own module; they are imported here
so Django finds them."""

from .models_plans import (  # noqa: E402,F401  plans, bets, checklists, budget (plan14)
    BudgetPlan, Checklist, ChecklistItem, PlanAction, PlanObjective, PlanVersion,
    QuarterlyBet, SostacPlan)
