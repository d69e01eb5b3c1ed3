"""The four lifecycle flows of seed 001, ready to switch on: welcome, trial → paid, at-risk
win-back (P(alive) below a half, or 60 days without an order or event) and expansion."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _send(subject_en, body_en, subject_ar, body_ar):
    return {"kind": "send_email", "config": {"subject_en": subject_en, "body_en": body_en,
                                              "subject_ar": subject_ar, "body_ar": body_ar}}


TEMPLATES = {
    "welcome": {
        "name": _("Welcome"),
        "description": _("New leads get a welcome and, two days later, the three things to "
                         "try first. Goal: they become an MQL."),
        "trigger": "stage_change", "trigger_config": {"to_stage": "lead"},
        "goal": "stage", "goal_value": "mql",
        "steps": [
            _send("Welcome to {{ workspace }}, {{ name }}",
                  "Hi {{ name }},\n\nthanks for joining {{ workspace }}.",
                  "أهلاً بك في {{ workspace }} يا {{ name }}",
                  "مرحباً {{ name }}،\n\nشكراً لانضمامك إلى {{ workspace }}."),
            {"kind": "wait", "config": {"days": 2}},
            _send("Three things to try first", "Hi {{ name }},\n\nhere is where to start.",
                  "ثلاثة أشياء تبدأ بها", "مرحباً {{ name }}،\n\nهذه نقطة البداية."),
        ]},
    "trial_to_paid": {
        "name": _("Trial to paid"),
        "description": _("A trial starts: help on day 1, a reminder on day 10 if they have "
                         "not paid, and a task for their rep. Goal: an order."),
        "trigger": "event", "trigger_config": {"event": "trial_started"},
        "goal": "order", "goal_value": "",
        "steps": [
            _send("Get the most from your trial", "Hi {{ name }},\n\nyour trial is on.",
                  "استفد من فترة التجربة", "مرحباً {{ name }}،\n\nبدأت فترة تجربتك."),
            {"kind": "wait", "config": {"days": 9}},
            {"kind": "condition", "config": {"field": "order", "negate": True}},
            _send("Your trial ends in 4 days", "Hi {{ name }},\n\nkeep your work: upgrade.",
                  "تنتهي تجربتك بعد ٤ أيام", "مرحباً {{ name }}،\n\nاحتفظ بعملك: رقِّ اشتراكك."),
            {"kind": "create_task", "config": {"title": "Call the trial user before it ends",
                                               "due_days": 2}},
        ]},
    "win_back": {
        "name": _("At-risk win-back"),
        "description": _("Each week, customers whose P(alive) fell below 0.5 or who did "
                         "nothing for 60 days get a come-back offer. Goal: an order."),
        "trigger": "schedule",
        "trigger_config": {"every_days": 7, "stage": "customer", "p_alive_below": 0.5,
                           "inactive_days": 60},
        "goal": "order", "goal_value": "",
        "steps": [
            _send("We miss you, {{ name }}", "Hi {{ name }},\n\nhere is 20 % off your next order.",
                  "اشتقنا إليك يا {{ name }}", "مرحباً {{ name }}،\n\nخصم ٢٠٪ على طلبك القادم."),
            {"kind": "wait", "config": {"days": 5}},
            {"kind": "condition", "config": {"field": "order", "negate": True}},
            _send("Last chance: 20 % off", "Hi {{ name }},\n\nthe offer ends on Sunday.",
                  "الفرصة الأخيرة: خصم ٢٠٪", "مرحباً {{ name }}،\n\nينتهي العرض يوم الأحد."),
        ]},
    "expansion": {
        "name": _("Expansion"),
        "description": _("A customer hits their plan's limit: show the next plan and ask "
                         "their rep to call. Goal: an order."),
        "trigger": "event", "trigger_config": {"event": "usage_limit_reached"},
        "goal": "order", "goal_value": "",
        "steps": [
            _send("You are growing: room for more", "Hi {{ name }},\n\nthe next plan fits.",
                  "أنت تنمو: مساحة أكبر", "مرحباً {{ name }}،\n\nالخطة التالية تناسبك."),
            {"kind": "create_task", "config": {"title": "Offer the upgrade", "due_days": 3}},
            {"kind": "add_to_segment", "config": {"tag": "expansion_candidate"}},
        ]},
}
