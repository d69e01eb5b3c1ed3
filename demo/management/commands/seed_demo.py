"""Build the demo workspace: a team with every role, then (demo.generator) 18 months of data,
then the metrics. Deterministic for a given --seed."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from crm.models import Campaign, Spend
from engines.services import metric_run_start
from mos.models import Membership, User, Workspace
from mos.roles import Role

from ...generator import build_demo_data

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password"
TEAM = [
    ("demo@mos.local", "Dana Demo", Role.ADMIN),
    ("lead@mos.local", "Layla Growth", Role.GROWTH_LEAD),
    ("marketer@mos.local", "Omar Content", Role.MARKETER),
    ("analyst@mos.local", "Sara Numbers", Role.ANALYST),
    ("rep@mos.local", "Karim Sales", Role.SALES_REP),
    ("rep2@mos.local", "Huda Sales", Role.SALES_REP),
    ("viewer@mos.local", "Projector Room", Role.VIEWER),
]


class Command(BaseCommand):
    help = "Create the demo workspace (login printed at the end)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--language", choices=["en", "ar"], default="en",
                            help="The language of the demo's own texts (KPI names, personas, "
                                 "segments, stage definitions, tracking plan) and of the demo "
                                 "team's screens. Default: English.")
        parser.add_argument("--contacts", type=int, default=6000)
        parser.add_argument("--months", type=int, default=18)
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing if the demo workspace already exists.")
        parser.add_argument("--replace", action="store_true",
                            help="Delete an existing demo workspace first.")
        parser.add_argument("--no-metrics", action="store_true",
                            help="Skip the metrics computation at the end.")
        parser.add_argument("--slug", default=DEMO_SLUG)
        parser.add_argument("--end", type=date.fromisoformat, default=None,
                            help="Last day + 1 of the data (YYYY-MM-DD); default today.")

    def handle(self, *args, **opts):
        slug = opts["slug"]
        existing = Workspace.objects.filter(slug=slug).first()
        if existing and opts["if_empty"]:
            self.stdout.write(f"Demo workspace '{slug}' exists; leaving it as it is.")
            self._print_login(slug)
            return
        if existing:
            if not opts["replace"]:
                raise CommandError(f"Workspace '{slug}' exists: use --replace or --if-empty.")
            # spend and campaigns protect their channel: delete them first
            Spend.objects.filter(workspace=existing).delete()
            Campaign.objects.filter(workspace=existing).delete()
            existing.delete()
        t0 = time.monotonic()
        ws = self._team(slug, opts["language"])
        # the demo team writes its own texts in its language, as a real team would
        with translation.override(opts["language"]):
            stats = build_demo_data(ws, seed=opts["seed"], contacts=opts["contacts"],
                                    months=opts["months"], end=opts["end"],
                                    log=self.stdout.write)
        self.stdout.write(f"Demo data: {stats}")
        from ...experiments import build_demo_experiments

        with translation.override(opts["language"]):  # titles, hypotheses, learnings, insights
            built = build_demo_experiments(ws, seed=opts["seed"], end=opts["end"])
        self.stdout.write(f"Engines and experiments: {built}")
        from ...workday import build_demo_workday

        self.stdout.write(f"Workday (scores, activities, tasks): "
                          f"{build_demo_workday(ws, seed=opts['seed'], end=opts['end'])}")
        from ...automation import build_demo_flows

        with translation.override(opts["language"]):  # flow names, descriptions, task titles
            built = build_demo_flows(ws, seed=opts["seed"], end=opts["end"])
        self.stdout.write(f"Lifecycle flows: {built}")
        from ...planning_content import build_demo_content  # NPS is a metric: before the run

        self.stdout.write(f"Content, plans, service: "
                          f"{build_demo_content(ws, seed=opts['seed'], end=opts['end'])}")
        if not opts["no_metrics"]:
            run = metric_run_start(workspace=ws, trigger="seed")
            if run.status != run.Status.SUCCEEDED:
                raise CommandError(f"The demo metrics failed: {run.error or run.status}")
            self.stdout.write(f"Metrics: {run.status}, {run.rows_written} values")
            from ...reports import build_demo_reports  # drafted from the metrics

            with translation.override(opts["language"]):  # summaries, decisions' results
                build_demo_reports(ws, today=opts["end"], log=self.stdout.write)
            from ...planning_plans import build_demo_plans  # plans read the metrics too

            build_demo_plans(ws, today=opts["end"], log=self.stdout.write)
        from ...worklist import build_demo_worklist  # after the metrics: alerts read them

        self.stdout.write(f"Worklist: {build_demo_worklist(ws, alerts=not opts['no_metrics'])}")
        self.stdout.write(f"Built in {time.monotonic() - t0:.1f} s.")
        self._print_login(slug)

    @transaction.atomic
    def _team(self, slug: str, language: str = "en") -> Workspace:
        ws = Workspace.objects.create(slug=slug, name="Demo Co", currency="USD",
                                      business=Workspace.Business.SUBSCRIPTION)
        for email, name, role in TEAM:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
            if language != "en" and user.language != language:  # the demo team reads it so
                user.language = language
                user.save(update_fields=["language"])
            Membership.objects.create(user=user, workspace=ws, role=role)
        return ws

    def _print_login(self, slug: str) -> None:
        line = "=" * 64
        self.stdout.write(self.style.SUCCESS(
            f"\n{line}\n  MOS demo workspace: http://127.0.0.1:8000/w/{slug}/\n"
            f"  Log in as  demo@mos.local  /  {DEMO_PASSWORD}   (admin)\n"
            f"  Others: lead@, marketer@, analyst@, rep@, viewer@mos.local (same password)\n"
            f"{line}\n"))
