"""compute_metrics --workspace slug [--as-of YYYY-MM-DD] [--from YYYY-MM-DD]

Recompute a workspace's metrics now (in this process), as of a past day, or backfill every
period from --from to --as-of in chunks of three months (progress on the run)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from engines.models import MetricRun
from engines.services import metric_run_start
from mos.models import Workspace


def _day(value: str | None, name: str):
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name}: give a date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Recompute a workspace's metrics (as of a day, or a backfill from a day)."

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today).")
        parser.add_argument("--from", dest="backfill_from",
                            help="YYYY-MM-DD: backfill every period from this day.")
        parser.add_argument("--to", dest="to", help="Same as --as-of.")

    def handle(self, *args, workspace, as_of=None, backfill_from=None, to=None, **options):
        ws = Workspace.objects.filter(slug=workspace).first()
        if ws is None:
            raise CommandError(f"No workspace {workspace!r}.")
        as_of = _day(as_of or to, "--as-of")
        backfill_from = _day(backfill_from, "--from")
        try:
            run = metric_run_start(workspace=ws, trigger=MetricRun.Trigger.MANUAL, sync=True,
                                   as_of=as_of, backfill_from=backfill_from)
        except ValidationError as e:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}"
                                         for k, v in e.message_dict.items())) from None
        if run.status != MetricRun.Status.SUCCEEDED:
            raise CommandError(f"Run {run.code} {run.status}: {run.error}")
        self.stdout.write(f"Run {run.code} succeeded: {run.window_start} to {run.window_end}, "
                          f"{run.rows_written} values written.")
