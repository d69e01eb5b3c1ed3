"""The Celery app. Every periodic schedule of MOS lives in `beat_schedule` below."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")

app = Celery("mos")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # <app>.tasks of every installed app
# Task modules that live in a feature package rather than at an app's top level.
app.autodiscover_tasks(["crm.importing", "engines.metrics", "crm.scoring"])

app.conf.beat_schedule = {
    # Lead scores: event points decay with time, so every contact is rescored nightly (new
    # events rescore their contacts at once: crm.scoring.services.enqueue_rescore).
    "score-all-workspaces-nightly": {
        "task": "crm.scoring.score_all_workspaces",
        "schedule": crontab(hour=1, minute=50),
    },
    # The nightly metrics pipeline fans out one task per workspace (engines/metrics/tasks.py;
    # the task names keep their first module path so queued messages still find them).
    "compute-all-workspaces-nightly": {
        "task": "engines.tasks.compute_all_workspaces",
        "schedule": crontab(hour=2, minute=15),
    },
    # Idempotency-Key answers are kept 24 hours (mos.idempotency.KEY_TTL).
    "purge-idempotency-keys-hourly": {
        "task": "mos.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=40),
    },
    # The month that just closed gets its report drafted once that night's metrics are in
    # (reports.tasks): people edit and publish it.
    "draft-monthly-reports": {
        "task": "reports.tasks.draft_closed_month_all",
        "schedule": crontab(day_of_month=1, hour=5, minute=0),
    },
    # Experiment results from exposure events, one task per workspace (experiments.tasks).
    "compute-experiment-results-nightly": {
        "task": "experiments.tasks.compute_all_experiment_results",
        "schedule": crontab(hour=2, minute=45),
    },
    # Lifecycle flows: enroll by trigger, advance due enrollments (row locks), send queued
    # messages (automation.tasks). The database holds every flow's state, so a restart loses
    # nothing and a missed minute is caught up by the next.
    "run-automation-flows": {
        "task": "automation.tasks.run_flows",
        "schedule": 60.0,
    },
    # Lost work: metric runs and imports pending without a task (the broker was down when
    # they were sent) or held by a dead worker (expired lease) are sent again.
    "resend-lost-runs-and-imports": {
        "task": "engines.tasks.resend_lost_runs",
        "schedule": 60.0,
    },
}
