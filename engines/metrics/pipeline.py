"""The nightly metrics pipeline for one workspace (DESIGN §7).

A run loads the workspace's input frames for a trailing window (engines/metrics/loaders.py),
calls every metric family (the STEPS list below: adding a family is one line), keeps the values
whose period starts inside the window and replaces the workspace's MetricValues for that window
in ONE transaction. Loading and computing only read, so progress is saved as the run goes; a
crash in any step (or in the write) leaves the previous values untouched and marks the run
failed with its error.
"""

from __future__ import annotations

import io
import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from . import attribution, clv, crm, economics, funnel, retention, subscriptions
from . import acquisition
from .economics import ATTRIBUTED_COLUMNS, empty_attributed
from .loaders import Window, load_frames
from .registry import ATTRIBUTION_MODELS, REGISTRY, VALUE_COLUMNS
from engines.models import MetricRun, MetricValue
from mos.periods import month_starts, period_start, workspace_today

DEFAULT_WINDOW_DAYS = 400
UNIQUE_FIELDS = ["key", "grain", "period", "dimension", "dimension_value"]


@dataclass
class RunContext:
    """What every step sees: the workspace's settings, the window and the input frames."""

    workspace: object
    window: Window
    frames: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)  # results one step hands to a later one
    # the run stores the model fits (BG/NBD, Gamma-Gamma, holdout check, Markov matrix) from
    # this window: False for a backfill's chunks before the last, whose fits are never saved
    keep_fits: bool = True

    @property
    def as_of(self) -> date:
        return self.window.end

    @property
    def margin(self) -> float:
        return float(self.workspace.default_margin)

    @property
    def business(self) -> str:
        return self.workspace.business

    @property
    def activity_window(self) -> int:
        return int(self.workspace.activity_window_days)

    @property
    def lookback(self) -> int:
        return int(self.workspace.attribution_lookback_days)


# --- the steps: one function per family ---------------------------------------------------

def step_attribution(ctx: RunContext, grain: str) -> pd.DataFrame:
    """Credits every conversion once per model (paths and Markov effects are built once per
    run, not per grain) and sums them per period and channel."""
    if "attributed" not in ctx.shared:
        f = ctx.frames
        paths = attribution.build_paths(f["touchpoints"], f["conversions"],
                                        lookback_days=ctx.lookback, as_of=ctx.as_of)
        removal = attribution.markov_removal_effects(paths)
        ctx.shared["markov"] = (paths, removal)
        credits = [attribution.credit_paths(paths, m, 7.0, removal).assign(model=m)
                   for m in ATTRIBUTION_MODELS]
        credits = [c for c in credits if len(c)]
        ctx.shared["attributed"] = (pd.concat(credits, ignore_index=True)[ATTRIBUTED_COLUMNS]
                                    if credits else empty_attributed())
    credit = ctx.shared["attributed"]
    if credit.empty:
        return acquisition.empty_values()
    # grouped on midnight timestamps (far cheaper to factorise than date objects), the
    # period level turned into dates once per group
    period = acquisition.period_start(credit["converted_at"], grain)
    sums = credit.groupby([credit["model"], period, credit["channel"]])[
        ["credit", "revenue_credit"]].sum()
    days = pd.DatetimeIndex(sums.index.get_level_values(1)).date
    parts = []
    for base, column in (("attributed_conversions", "credit"),
                         ("attributed_revenue", "revenue_credit")):
        s = sums[column]
        parts.append(pd.DataFrame({
            "key": base + "." + s.index.get_level_values(0).astype(str),
            "grain": grain, "period": days,
            "dimension": "channel", "dimension_value": s.index.get_level_values(2).astype(str),
            "value": s.to_numpy(dtype=float)}))
    return pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]


def step_acquisition(ctx, grain):
    f = ctx.frames
    return acquisition.compute_acquisition(f["spend"], f["stage_changes"], f["contacts"],
                                           grain=grain, as_of=ctx.as_of)


def step_funnel(ctx, grain):
    return funnel.compute_funnel(ctx.frames["stage_changes"], grain=grain, as_of=ctx.as_of)


def step_economics(ctx, grain):
    f = ctx.frames
    if "attributed" not in ctx.shared:
        step_attribution(ctx, grain)
    return economics.compute_economics(
        f["orders"], f["stage_changes"], f["spend"], ctx.shared["attributed"], grain=grain,
        as_of=ctx.as_of, default_margin=ctx.margin, business=ctx.business,
        activity_window_days=ctx.activity_window)


def step_retention(ctx, grain):
    f = ctx.frames
    return retention.compute_retention(f["orders"], f["events"], f["stage_changes"], grain=grain,
                                       as_of=ctx.as_of, business=ctx.business,
                                       activity_window_days=ctx.activity_window)


def step_crm(ctx, grain):
    f = ctx.frames
    return crm.compute_crm(f["orders"], f["lead_feedback"], f["events"], grain=grain,
                           as_of=ctx.as_of, calls=f.get("calls"))


def step_clv(ctx, grain):
    """BG/NBD + Gamma-Gamma fitted on the workspace's whole purchase history up to as_of (not
    the window: a fit on the trailing window alone moves predicted LTV by several percent).
    The per-contact predictions and the fits are kept for the models step."""
    return clv.clv_values(_clv_predictions(ctx), as_of=ctx.as_of,
                          active_window_days=ctx.activity_window)


def _clv_orders(ctx) -> pd.DataFrame:
    o = ctx.frames.get("order_history")
    if o is None:
        from .loaders import load_order_history

        o = ctx.frames["order_history"] = load_order_history(ctx.workspace.pk, ctx.window)
    return o


def _clv_predictions(ctx) -> pd.DataFrame:
    if "clv_predictions" not in ctx.shared:
        ctx.shared["clv_predictions"] = clv.customer_predictions(
            _clv_orders(ctx), as_of=ctx.as_of, margin_default=ctx.margin)
    return ctx.shared["clv_predictions"]


HOLDOUT_DAYS = 90


def step_models(ctx, grain):
    """Every model's inside: the CLV fits with a holdout check and the contacts' predictions
    (written with the run), and Markov's removal effects, global credit and transition matrix
    (metric keys for the as-of month, dimension channel)."""
    preds = _clv_predictions(ctx)
    orders = _clv_orders(ctx)
    # a backfill chunk before the last writes its Markov keys but stores no fit: the report
    # and the holdout check (a second BG/NBD fit) would be thrown away
    fits = clv.fit_report(orders, preds) if ctx.keep_fits else []
    check = (clv.holdout_check(orders, as_of=ctx.as_of, holdout_days=HOLDOUT_DAYS)
             if ctx.keep_fits else None)
    for fit in fits:
        if fit["kind"] == "bgnbd" and check is not None:
            fit.update(holdout_days=HOLDOUT_DAYS, holdout_predicted=check["predicted"],
                       holdout_actual=check["actual"],
                       details={"calibration_end": check["calibration_end"].isoformat(),
                                "calibration_params": check["params"]._asdict(),
                                "calibration_customers": check["n"]})
    if "markov" not in ctx.shared:
        step_attribution(ctx, grain)
    paths, removal = ctx.shared["markov"]
    period = pd.Timestamp(ctx.as_of).replace(day=1).date()
    parts = []
    has_markov = bool(len(removal) and removal.sum() > 0)
    if has_markov:
        conversions = int(paths.loc[paths["converted"].to_numpy(), "path_id"].nunique())
        global_credit = removal / removal.sum() * conversions
    if has_markov and ctx.keep_fits:
        counts, channels = attribution.markov_transition_counts(paths)
        totals = counts.sum(axis=1, keepdims=True)
        probs = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        fits.append({"kind": "markov", "n": int(paths["path_id"].nunique()),
                     "params": {"removal_effects": {str(k): float(v)
                                                    for k, v in removal.items()},
                                "p_conversion": float(removal.attrs.get("p_conversion", 0))},
                     "history_from": paths["occurred_at"].min().date() if len(paths) else None,
                     "history_to": ctx.as_of,
                     "details": {"states": ["(start)", *map(str, channels), "(conversion)",
                                            "(null)"],
                                 "matrix": np.round(probs, 6).tolist(),
                                 "counts": counts.astype(int).tolist(),
                                 "conversions": conversions}})
    if has_markov:
        for key, series in (("markov_removal_effect", removal),
                            ("markov_conversions_global", global_credit)):
            parts.append(pd.DataFrame({"key": key, "grain": "month", "period": period,
                                       "dimension": "channel",
                                       "dimension_value": series.index.astype(str),
                                       "value": series.to_numpy(dtype=float)}))
    ctx.shared["fits"] = fits
    ctx.shared["predictions"] = preds
    return pd.concat(parts, ignore_index=True) if parts else acquisition.empty_values()


def step_subscriptions(ctx, grain):
    """MRR movements over every subscription's whole history (the window only selects which
    months are written)."""
    subs = ctx.frames["subscriptions"]
    members = segment_frame(ctx)
    segments = {code: list(g) for code, g in members.groupby("segment", sort=False)["contact_id"]}
    return subscriptions.compute_subscriptions(subs, as_of=ctx.as_of, margin=ctx.margin,
                                               segments=segments)


def service_frames(ctx) -> None:
    """The service family's own two frames (crm.service), read once per run into ctx.frames."""
    if "survey_answers" not in ctx.frames:
        from . import service

        ctx.frames.update(service.load_service(ctx.workspace.pk, ctx.window))


def step_service(ctx, grain):
    """NPS, CSAT and complaint handling (crm.service)."""
    from . import service

    service_frames(ctx)
    return service.compute_service(ctx.frames["survey_answers"], ctx.frames["complaints"],
                                   grain=grain, as_of=ctx.as_of)


def segment_frame(ctx) -> pd.DataFrame:
    """(segment, contact_id) of every measured segment's members now; none read when the
    workspace has no subscriptions (nothing to measure per segment)."""
    if "segment_members" not in ctx.frames:
        rows = [(code, int(cid)) for code, ids in (segment_members(ctx.workspace).items()
                                                   if len(ctx.frames["subscriptions"]) else ())
                for cid in ids]
        ctx.frames["segment_members"] = pd.DataFrame(
            rows, columns=["segment", "contact_id"]).astype({"segment": object,
                                                             "contact_id": "int64"})
    return ctx.frames["segment_members"]


MAX_SEGMENTS = 50  # segments measured per run (the newest), so a run stays bounded


def segment_members(workspace) -> dict[str, list[int]]:
    """{segment code: its member contacts' ids now}, one query per segment."""
    from crm.models import Segment
    from crm.selectors import segment_contacts

    out = {}
    for seg in Segment.objects.filter(workspace=workspace).order_by("-created_at")[
            :MAX_SEGMENTS]:
        out[str(seg.code)] = list(segment_contacts(seg).values_list(
            "pk", flat=True))
    return out


@dataclass(frozen=True)
class Step:
    name: str  # the metric family (registry family names)
    compute: object  # (RunContext, grain) -> VALUE_COLUMNS frame
    grains: tuple = ("week", "month")
    # the input frames the family reads (besides the workspace settings and the window): a run
    # over the same window skips it when none of them changed (None: always computed).
    # "segment_members" is not loaded with the others: segment_frame reads it when needed.
    inputs: tuple | None = None


ATTRIBUTED = ("touchpoints", "conversions")

# Every family the pipeline runs, in order. Wiring a new family = one line here.
STEPS = [
    Step("acquisition", step_acquisition, inputs=("spend", "stage_changes", "contacts")),
    Step("funnel", step_funnel, inputs=("stage_changes",)),
    Step("attribution", step_attribution, inputs=ATTRIBUTED),
    Step("economics", step_economics, inputs=("orders", "stage_changes", "spend", *ATTRIBUTED)),
    Step("retention", step_retention, inputs=("orders", "events", "stage_changes")),
    Step("crm", step_crm, inputs=("orders", "lead_feedback", "events", "calls")),
    Step("clv", step_clv, ("month",), inputs=("order_history",)),
    Step("subscriptions", step_subscriptions, ("month",),
         inputs=("subscriptions", "segment_members")),
    Step("models", step_models, ("month",), inputs=("order_history", *ATTRIBUTED)),
    # its two frames are read by service_frames, not load_frames (like segment_members)
    Step("service", step_service, inputs=("survey_answers", "complaints")),
]


# --- incremental runs ------------------------------------------------------------------------
# A family's values are a pure function of its input frames, the workspace's settings, the
# window and the code. A run records a digest of those per family (MetricRun.fingerprint);
# the next run, if the latest successful run of the workspace had the very same window,
# computes and writes only the families whose digest changed. Nothing changed: the run loads,
# digests, and writes nothing. The digests are taken from the loaded frames themselves, so no
# write path (API, import, COPY, admin, merge) can be missed.

def _code_digest() -> str:
    import hashlib
    from pathlib import Path

    if not hasattr(_code_digest, "value"):
        h = hashlib.sha1()
        for f in sorted(Path(__file__).parent.glob("*.py")):
            h.update(f.read_bytes())
        _code_digest.value = h.hexdigest()
    return _code_digest.value


def frame_digest(df: pd.DataFrame) -> str:
    """A digest of a frame's rows whatever their order (rows hashed, hashes sorted)."""
    import hashlib

    h = hashlib.sha1(repr(list(df.columns)).encode())
    if len(df):
        h.update(np.sort(pd.util.hash_pandas_object(df, index=False).to_numpy()).tobytes())
    return h.hexdigest()


def fingerprints(frames: dict, ws, window: Window, steps,
                 digests: dict | None = None) -> dict[str, str]:
    """{family: digest of its inputs, settings, window and code} for the steps that declare
    their inputs. `digests` ({frame: digest}) may hold frames' digests already known (frames
    not loaded because they did not change); it receives every frame's digest."""
    import hashlib

    base = repr((window, float(ws.default_margin), ws.business, int(ws.activity_window_days),
                 int(ws.attribution_lookback_days), ws.timezone, ws.currency, _code_digest()))
    digests = {} if digests is None else digests
    out = {}
    for step in steps:
        if step.inputs is None:
            continue
        for name in step.inputs:
            if name not in digests:
                digests[name] = frame_digest(frames[name])
        out[step.name] = hashlib.sha1(
            (base + "".join(digests[n] for n in step.inputs)).encode()).hexdigest()
    return out


def comparable_run(run: MetricRun, window: Window) -> MetricRun | None:
    """The latest successful run of the workspace (whoever wrote last), if it had this very
    window: the values stored now are its values."""
    last = (MetricRun.objects.filter(workspace_id=run.workspace_id,
                                     status=MetricRun.Status.SUCCEEDED)
            .exclude(pk=run.pk).order_by("-finished_at", "-pk")
            .only("window_start", "window_end", "fingerprint", "backfill_from").first())
    if (last is None or last.backfill_from or last.window_start != window.start
            or last.window_end != window.end):
        return None
    return last


def unchanged_families(run: MetricRun, window: Window, digests: dict,
                       last: MetricRun | None = None) -> set[str]:
    """The families whose values stored now are those of these very inputs: the latest
    successful run of the workspace (whoever wrote last) had the same window and digest."""
    last = last or comparable_run(run, window)
    if last is None:
        return set()
    old = last.fingerprint or {}
    return {name for name, d in digests.items() if old.get(name) == d}


# --- the run -------------------------------------------------------------------------------

logger = logging.getLogger(__name__)
BACKFILL_CHUNK_MONTHS = 3  # a backfill computes and writes this many months at a time


class UnusableSetting(Exception):
    """A workspace setting the pipeline cannot compute with: the run fails with this text."""


def settings_problem(workspace) -> str | None:
    """Why the workspace's settings cannot be computed with (a human message), or None."""
    from django.utils.translation import gettext as _

    from mos.validation import CURRENCIES, timezones

    if (workspace.timezone or "UTC") not in timezones():
        return _("The workspace time zone “%(tz)s” is not a time zone MOS knows; choose one in "
                 "Settings.") % {"tz": workspace.timezone}
    if workspace.currency not in CURRENCIES:
        return _("The workspace currency “%(c)s” is not an ISO 4217 code; choose one in "
                 "Settings.") % {"c": workspace.currency}
    for name, lo, hi in (("default_margin", 0, 1), ("activity_window_days", 1, 3650),
                         ("attribution_lookback_days", 0, 3650)):
        try:
            ok = lo <= float(getattr(workspace, name)) <= hi
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return _("The workspace setting “%(name)s” is out of range; correct it in "
                     "Settings.") % {"name": name}
    return None


def _save(run: MetricRun, *fields):
    run.save(update_fields=list(fields))


def error_summary(exc: BaseException, limit: int = 4000) -> str:
    """The exception and the last frames of its traceback (for the log and admins)."""
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-6)
    text = "".join(tb)
    return text[-limit:]


def run_windows(run: MetricRun, *, as_of: date, window_days: int, ws) -> list[tuple]:
    """[(window, until)]: one trailing window (until None: replace everything from its start),
    or for a backfill, consecutive windows of BACKFILL_CHUNK_MONTHS from backfill_from to
    as_of, each written only up to its own end."""
    lookback, tz = int(ws.attribution_lookback_days), ws.timezone or "UTC"
    if not run.backfill_from:
        return [(Window.trailing(as_of=as_of, days=window_days, lookback_days=lookback, tz=tz),
                 None)]
    out = []
    start = run.backfill_from.replace(day=1)
    while start <= as_of:
        y, m = divmod(start.year * 12 + start.month - 1 + BACKFILL_CHUNK_MONTHS, 12)
        nxt = date(y, m + 1, 1)
        end = min(nxt - timedelta(days=1), as_of)
        full = Window.trailing(as_of=end, days=(end - start).days, lookback_days=lookback,
                               tz=tz)
        # a week straddling the chunk's first day was written partly by the chunk before:
        # this chunk rewrites it whole
        write_from = start - timedelta(days=start.weekday())
        out.append((Window(start=write_from, end=end, history_start=full.history_start,
                           events_start=write_from - timedelta(days=max(lookback, 0)), tz=tz),
                    end))
        start = nxt
    return out


def compute_workspace(run: MetricRun, *, window_days: int = DEFAULT_WINDOW_DAYS,
                      as_of: date | None = None, steps: list[Step] | None = None,
                      token=None, force: bool = False) -> MetricRun:
    """Recompute the run's workspace; the run ends succeeded or failed (never raises), with a
    human message on failure (the traceback goes to the log and to error_detail). A backfill
    is computed in chunks, with progress across them."""
    from mos.leases import LeaseLost

    ws = run.workspace
    steps = STEPS if steps is None else steps
    run.status = MetricRun.Status.RUNNING
    run.started_at = run.started_at or timezone.now()
    run.timings, run.error, run.error_detail, run.progress = {}, "", "", 0
    _save(run, "status", "started_at", "timings", "error", "error_detail", "progress")
    written = 0
    try:
        problem = settings_problem(ws)
        if problem:
            raise UnusableSetting(problem)
        as_of = as_of or run.as_of or workspace_today(ws)
        windows = run_windows(run, as_of=as_of, window_days=window_days, ws=ws)
        run.window_start, run.window_end = windows[0][0].start, windows[-1][0].end
        from crm.tracking.quality import unusable_rows

        run.skipped = unusable_rows(ws.pk)
        _save(run, "window_start", "window_end", "skipped")
        for k, (window, until) in enumerate(windows):
            written += _compute_window(run, ws, window, until, steps, token,
                                       chunk=(k, len(windows)),
                                       incremental=not force and len(windows) == 1)
    except LeaseLost:
        logger.warning("metric run %s: lease lost, another worker has it", run.pk)
        return run
    except Exception as exc:  # noqa: BLE001 — any failure ends the run, values untouched
        from django.utils.translation import gettext as _

        if isinstance(exc, UnusableSetting):
            run.error = str(exc)
        else:
            logger.exception("metric run %s of workspace %s failed", run.pk, ws.pk)
            run.error = _("The metrics could not be computed (step “%(step)s”). The previous "
                          "numbers are kept; an admin can see the details.") % {
                              "step": run.step or "start"}
            run.error_detail = error_summary(exc)
        run.status = MetricRun.Status.FAILED
        run.finished_at = timezone.now()
        _save(run, "status", "error", "error_detail", "finished_at", "timings", "step",
              "progress", "window_start", "window_end")
        return run
    if (run.fingerprint or {}).get("_snapshot"):
        from . import changes

        changes.prune(ws.pk, run.fingerprint["_snapshot"])
    run.status = MetricRun.Status.SUCCEEDED
    run.rows_written = written
    run.progress, run.step = 100, ""
    run.finished_at = timezone.now()
    _save(run, "status", "rows_written", "progress", "step", "finished_at", "timings",
          "fingerprint")
    return run


def _compute_window(run, ws, window: Window, until, steps, token, *, chunk,
                    incremental: bool = False) -> int:
    total = len(steps) + 2  # load + steps + write
    run.fingerprint = {}
    with acquisition.shared_results():
        _step(run, "load", 0, total, token, chunk)
        t0 = time.perf_counter()
        # a backfill chunk is never compared (its windows are its own)
        last = comparable_run(run, window) if incremental and until is None else None
        known = (last.fingerprint or {}) if last is not None else {}
        meta: dict = {}
        from .loaders import REUSABLE

        complete = isinstance(known.get("_frames"), dict) and set(REUSABLE) <= set(
            known["_frames"])  # a run of fewer steps did not digest every frame
        frames = load_frames(ws.pk, window, meta=meta,
                             unchanged_since=known.get("_snapshot") if complete else None)
        ctx = RunContext(workspace=ws, window=window, frames=frames,
                         keep_fits=chunk[0] == chunk[1] - 1)
        _add_timing(run, "load", t0)
        if until is None:
            skip, meta = _unchanged(run, ctx, steps, last, meta, t0=time.perf_counter())
            _record_changed_from(run, last)
        else:
            skip = set()
        todo = [s for s in steps if s.name not in skip]
        parts = []
        for i, step in enumerate(steps, start=1):
            if step.name in skip:
                continue
            _step(run, step.name, i, total, token, chunk)
            t0 = time.perf_counter()
            for grain in step.grains:
                parts.append(step.compute(ctx, grain))
            _add_timing(run, step.name, t0)
    if not todo:
        return 0  # nothing changed since the values stored now: nothing to write
    _step(run, "write", total - 1, total, token, chunk)
    t0 = time.perf_counter()
    values = with_zero_counts(in_window(parts, window), window, todo)
    families = {s.name for s in todo}
    keys = set(values["key"]) | {k for k, d in REGISTRY.items() if d.family in families}
    with transaction.atomic():
        written = replace_values(run, values, keys=keys, since=window.start, until=until)
        if "fits" in ctx.shared and chunk[0] == chunk[1] - 1:  # the fits as of the run's end
            save_models(run, ctx.shared["fits"], ctx.shared["predictions"])
    _add_timing(run, "write", t0)
    return written


def _unchanged(run, ctx: RunContext, steps, last, meta: dict, *, t0) -> tuple[set, dict]:
    """(families whose inputs did not change since `last`, the load's meta). Records the run's
    fingerprint: the families' digests, "_frames" (each frame's digest) and, on PostgreSQL,
    "_snapshot" (what the loads read). Frames the loader left out (meta["reused"]: their
    tables did not change) keep `last`'s digests; if a family reading one of them must be
    computed after all, every frame is loaded again (one new snapshot)."""
    from .loaders import load_frames

    ws, window = ctx.workspace, ctx.window
    old = (last.fingerprint or {}) if last is not None else {}
    segment_frame(ctx)
    service_frames(ctx)
    reused = tuple(meta.get("reused", ()))
    digests = {n: old["_frames"][n] for n in reused}
    run.fingerprint = fingerprints(ctx.frames, ws, window, steps, digests)
    skip = unchanged_families(run, window, run.fingerprint, last) if last is not None else set()
    if reused and any(s.name not in skip and set(s.inputs or reused) & set(reused)
                      for s in steps):
        _add_timing(run, "fingerprint", t0)
        t1 = time.perf_counter()
        meta = {}
        kept = {n: ctx.frames[n] for n in ("segment_members", "survey_answers", "complaints")
                if n in ctx.frames}
        ctx.frames = {**load_frames(ws.pk, window, meta=meta), **kept}
        _add_timing(run, "load", t1)
        t0 = time.perf_counter()
        digests = {}
        run.fingerprint = fingerprints(ctx.frames, ws, window, steps, digests)
        skip = unchanged_families(run, window, run.fingerprint, last)
    run.fingerprint["_frames"] = digests
    if meta.get("snapshot"):
        run.fingerprint["_snapshot"] = meta["snapshot"]
    _add_timing(run, "fingerprint", t0)
    return skip, meta


def _record_changed_from(run: MetricRun, last: MetricRun | None) -> None:
    """PostgreSQL: record in the run's fingerprint ("_changed_from") the earliest moment of
    data changed since the previous successful run's snapshot, whatever its window — ISO
    text, "any" (a change not tied to a day), or None (nothing changed) — for the next lever,
    keeping the closed periods of a new night (docs/scaling.md). Asked after the load, so a
    change committed meanwhile can only make it earlier, never hide one."""
    from . import changes

    if last is None:
        last = (MetricRun.objects.filter(workspace_id=run.workspace_id,
                                         status=MetricRun.Status.SUCCEEDED)
                .exclude(pk=run.pk).order_by("-finished_at", "-pk").only("fingerprint").first())
    snapshot = (last.fingerprint or {}).get("_snapshot") if last is not None else None
    if not snapshot or not changes.available():
        return
    since = changes.earliest_change(run.workspace_id, snapshot)
    run.fingerprint["_changed_from"] = (None if since is None else "any"
                                        if since == changes.ANY_DAY else since.isoformat())


def _add_timing(run, name, t0) -> None:
    run.timings[name] = round(run.timings.get(name, 0) + time.perf_counter() - t0, 3)


def _step(run: MetricRun, name: str, i: int, total: int, token=None, chunk=(0, 1)) -> None:
    """Record the step and renew the run's lease (LeaseLost if another worker took it)."""
    from mos.leases import heartbeat

    heartbeat(MetricRun, run.pk, token, running_status=MetricRun.Status.RUNNING)
    k, n = chunk
    run.step, run.progress = name, int(100 * (k + i / total) / n)
    _save(run, "step", "progress", "timings")


def in_window(parts: list[pd.DataFrame], window: Window) -> pd.DataFrame:
    """All families' values whose period starts in the window, one row per unique key."""
    parts = [p[VALUE_COLUMNS] for p in parts if p is not None and len(p)]
    if not parts:
        return acquisition.empty_values()
    v = pd.concat(parts, ignore_index=True)
    period = pd.to_datetime(pd.Series(v["period"])).dt.normalize()
    keep = ((period >= pd.Timestamp(window.start)) & (period <= pd.Timestamp(window.end))
            & v["value"].notna() & pd.Series(pd.to_numeric(v["value"]).abs() < float("inf")))
    v = v[keep.to_numpy()].copy()
    v["period"] = period[keep.to_numpy()].dt.date.to_numpy()
    v["dimension"] = v["dimension"].fillna("").astype(str)
    v["dimension_value"] = v["dimension_value"].fillna("").astype(str).str.slice(0, 200)
    # two families must never claim the same number; if they do, the first one wins
    return v.drop_duplicates(UNIQUE_FIELDS, keep="first").reset_index(drop=True)


# Workspace-level counts where "none happened" is a value: a period with no new customer stores
# 0, so a reader tells 0 from "not computed" and a quarter's sum has every month in it.
ZERO_FILL_KEYS = ("leads", "new_customers", "orders", "clicks", "impressions")


def _period_starts(grain: str, window: Window) -> list[date]:
    if grain == "month":
        return [m for m in month_starts(window.start, window.end) if m >= window.start]
    if grain == "week":
        first = period_start("week", window.start)
        if first < window.start:
            first += timedelta(weeks=1)
        return [first + timedelta(weeks=i)
                for i in range((window.end - first).days // 7 + 1)]
    return []


def with_zero_counts(values: pd.DataFrame, window: Window, steps) -> pd.DataFrame:
    """`values` plus a 0 for every ZERO_FILL_KEYS count (workspace level) and period of the
    window, at the grains its family computes, that has no value. A workspace with nothing
    measured at all stays empty (its dashboard says so)."""
    if values.empty:
        return values
    rows = []
    for step in steps:
        keys = [k for k in ZERO_FILL_KEYS if k in REGISTRY and REGISTRY[k].family == step.name]
        for grain in step.grains if keys else ():
            for start in _period_starts(grain, window):
                rows += [(k, grain, start, "", "", 0.0) for k in keys]
    if not rows:
        return values
    zeros = pd.DataFrame(rows, columns=VALUE_COLUMNS)
    both = pd.concat([values, zeros], ignore_index=True) if len(values) else zeros
    return both.drop_duplicates(UNIQUE_FIELDS, keep="first").reset_index(drop=True)


def replace_values(run: MetricRun, values: pd.DataFrame, *, keys: set[str], since: date,
                   until: date | None = None) -> int:
    """Make the workspace's values of `keys` from `since` on exactly `values` (call inside a
    transaction: the deletes and inserts are one atomic replacement). Only differences are
    written: a value that vanished is deleted, a changed one replaced, a new one inserted, an
    unchanged one left alone (a nightly run mostly changes the recent periods). Returns the
    number of rows written."""
    from .loaders import read_rows

    key_list = sorted(keys)
    if not key_list:
        return 0
    marks = ", ".join(["%s"] * len(key_list))
    upto = "" if until is None else " AND period <= %s"
    old = read_rows(
        f"SELECT id, key, grain, period, dimension, dimension_value, value "
        f"FROM {MetricValue._meta.db_table} WHERE workspace_id = %s AND period >= %s{upto} "
        f"AND key IN ({marks})", [run.workspace_id, since, *([until] if until else []),
                                  *key_list],
        ["id", *VALUE_COLUMNS])
    new = values[VALUE_COLUMNS]
    if len(old):
        old = old.astype({"key": str, "grain": str, "value": "float64"})
        old["period"] = pd.to_datetime(old["period"]).dt.date
        for c in ("dimension", "dimension_value"):
            old[c] = old[c].astype(object).where(old[c].notna(), "").astype(str)
        both = old.merge(new, on=UNIQUE_FIELDS, how="outer", suffixes=("_old", ""),
                         indicator=True)
        same = (both["_merge"] == "both") & np.isclose(both["value_old"], both["value"],
                                                        rtol=1e-12, atol=0.0)
        stale = both.loc[(both["_merge"] != "right_only") & ~same, "id"]
        fresh = both.loc[(both["_merge"] != "left_only") & ~same, VALUE_COLUMNS]
        ids = [int(i) for i in stale]
        if connection.vendor == "postgresql" and ids:  # one statement, no ORM IN lists
            with connection.cursor() as cur:
                cur.execute(f"DELETE FROM {MetricValue._meta.db_table} WHERE id = ANY(%s)",
                            [ids])
        for lo in range(0, len(ids) if connection.vendor != "postgresql" else 0, 5000):
            MetricValue.objects.filter(pk__in=ids[lo:lo + 5000]).delete()
        new = fresh
    if new.empty:
        return 0
    if connection.vendor == "postgresql":
        return _copy_values(run, new)
    rows = [MetricValue(workspace_id=run.workspace_id, key=k, grain=g, period=p, dimension=d,
                        dimension_value=dv, value=float(x), run_id=run.pk)
            for k, g, p, d, dv, x in new.itertuples(index=False, name=None)]
    MetricValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _copy_values(run: MetricRun, values: pd.DataFrame) -> int:
    """PostgreSQL: COPY the new rows in (tens of times faster than INSERTs)."""
    out = values[VALUE_COLUMNS].copy()
    out.insert(0, "workspace_id", run.workspace_id)
    out["run_id"] = run.pk
    buf = io.StringIO()
    out.to_csv(buf, index=False, header=False)
    buf.seek(0)
    table = MetricValue._meta.db_table
    with connection.cursor() as cur:
        cur.cursor.copy_expert(
            f"COPY {table} (workspace_id, key, grain, period, dimension, dimension_value, value,"
            f" run_id) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (dimension, dimension_value))",
            buf)  # "" is a value here, not NULL
    return len(out)


def save_models(run: MetricRun, fits: list[dict], preds: pd.DataFrame) -> None:
    """Store the run's model fits and replace the workspace's contact predictions (call inside
    the run's write transaction)."""
    from engines.models import ModelFit

    ModelFit.objects.bulk_create([ModelFit(
        workspace_id=run.workspace_id, run=run, kind=f["kind"],
        params=_finite(f.get("params", {})), loglik=_num(f.get("loglik")), n=int(f.get("n", 0)),
        history_from=f.get("history_from"), history_to=f.get("history_to"),
        holdout_days=int(f.get("holdout_days", 0)),
        holdout_predicted=_num(f.get("holdout_predicted")),
        holdout_actual=_num(f.get("holdout_actual")), details=_finite(f.get("details", {})))
        for f in fits])
    replace_predictions(run, preds)


PREDICTION_COLUMNS = {"p_alive": "p_alive", "expected_purchases": "expected_purchases_12m",
                      "ltv_predicted": "predicted_clv"}


def replace_predictions(run: MetricRun, preds: pd.DataFrame | None) -> int:
    """Make the workspace's ContactPredictions exactly `preds`, writing only differences (as
    replace_values does): a contact whose three numbers did not move keeps its row; a contact
    no longer predicted loses it; the others are written — on PostgreSQL updated in place from
    a COPY into a temporary table (one upsert: a new night moves every p_alive, so most rows
    change), elsewhere deleted and inserted again. Returns the rows written."""
    from engines.models import ContactPrediction

    from .loaders import read_rows

    table = ContactPrediction._meta.db_table
    cols = list(PREDICTION_COLUMNS.values())
    if preds is None or preds.empty:
        new = pd.DataFrame({c: pd.Series(dtype="float64") for c in ["contact_id", *cols]})
    else:
        p = preds[list(PREDICTION_COLUMNS)].replace([np.inf, -np.inf], np.nan).dropna()
        new = p.rename(columns=PREDICTION_COLUMNS).astype("float64")
        new.insert(0, "contact_id", p.index.to_numpy(dtype=np.int64))
        new = new.reset_index(drop=True)
    old = read_rows(f"SELECT id, contact_id, {', '.join(cols)} FROM {table} "
                    "WHERE workspace_id = %s", [run.workspace_id], ["id", "contact_id", *cols])
    stale_ids: list[int] = []
    gone_ids: list[int] = []  # contacts no longer predicted
    if len(old):
        old = old.astype({"contact_id": "int64", **{c: "float64" for c in cols}})
        both = old.merge(new, on="contact_id", how="outer", suffixes=("_old", ""),
                         indicator=True)
        same = both["_merge"] == "both"
        for c in cols:
            same &= np.isclose(both[c + "_old"], both[c], rtol=1e-12, atol=0.0)
        stale_ids = [int(i) for i in both.loc[(both["_merge"] != "right_only") & ~same, "id"]]
        gone_ids = [int(i) for i in both.loc[both["_merge"] == "left_only", "id"]]
        new = both.loc[(both["_merge"] != "left_only") & ~same, ["contact_id", *cols]]
        new = new.astype({"contact_id": "int64"})
    if connection.vendor == "postgresql":
        return _upsert_predictions(run, table, cols, new, gone_ids)
    for lo in range(0, len(stale_ids), 5000):
        ContactPrediction.objects.filter(pk__in=stale_ids[lo:lo + 5000]).delete()
    if new.empty:
        return len(stale_ids)
    now = timezone.now()
    ContactPrediction.objects.bulk_create([
        ContactPrediction(workspace_id=run.workspace_id, contact_id=int(cid), run=run,
                          p_alive=float(a), expected_purchases_12m=float(e),
                          predicted_clv=float(v), computed_at=now)
        for cid, a, e, v in new.itertuples(index=False, name=None)], batch_size=5000)
    return len(stale_ids) + len(new)


def _upsert_predictions(run: MetricRun, table: str, cols: list[str], new: pd.DataFrame,
                        gone_ids: list[int]) -> int:
    """PostgreSQL: delete the rows of contacts no longer predicted (one statement), COPY the
    changed and new predictions into a temporary table and upsert them on the contact (its
    OneToOne unique index): a changed row is updated in place."""
    names = ", ".join(cols)
    with transaction.atomic(), connection.cursor() as cur:
        if gone_ids:
            cur.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [gone_ids])
        if new.empty:
            return len(gone_ids)
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS mos_new_predictions (contact_id bigint, "
                    "p_alive float8, expected_purchases_12m float8, predicted_clv float8) "
                    "ON COMMIT DROP")
        cur.execute("TRUNCATE mos_new_predictions")
        buf = io.StringIO()
        new[["contact_id", *cols]].to_csv(buf, index=False, header=False)
        buf.seek(0)
        cur.cursor.copy_expert(f"COPY mos_new_predictions (contact_id, {names}) FROM STDIN "
                               "WITH (FORMAT csv)", buf)
        cur.execute(
            f"INSERT INTO {table} (workspace_id, contact_id, run_id, {names}, computed_at) "
            f"SELECT %s, contact_id, %s, {names}, %s FROM mos_new_predictions "
            "ON CONFLICT (contact_id) DO UPDATE SET run_id = EXCLUDED.run_id, "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
            + ", computed_at = EXCLUDED.computed_at",
            [run.workspace_id, run.pk, timezone.now()])
    return len(gone_ids) + len(new)


def _num(x):
    return None if x is None or not np.isfinite(float(x)) else float(x)


def _finite(obj):
    """JSON-safe: NaN and infinities become None, dates ISO text, numpy numbers floats."""
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (date,)):
        return obj.isoformat()
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def claim_and_compute(run_id: int, **kwargs) -> MetricRun | None:
    """Claim a run — pending, or running with an expired lease (its worker died) — with one
    conditional UPDATE (a run is computed by one worker even if its task is delivered twice)
    and compute it; None if someone else holds it or it ended."""
    from mos.leases import claim

    token = claim(MetricRun, run_id, ready_status=MetricRun.Status.PENDING,
                  running_status=MetricRun.Status.RUNNING, started_at=timezone.now())
    if token is None:
        return None
    run = MetricRun.objects.select_related("workspace").get(pk=run_id)
    run = compute_workspace(run, token=token, **kwargs)
    if run.trigger == MetricRun.Trigger.NIGHTLY:  # alerts once the night's numbers are in
        from mos.notifications import metric_run_finished

        metric_run_finished(run)
    return run
