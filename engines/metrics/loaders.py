"""Database → the input frames of frames.py, set-based: one SQL statement per frame.

Every loader runs a fixed number of queries whatever the number of contacts (a test pins it).
On PostgreSQL rows are streamed with COPY … TO STDOUT (CSV) into pandas, which is several times
faster than fetching Python tuples; elsewhere (SQLite) the cursor's rows go straight into a frame.
Timestamps come back in UTC and are converted to the workspace's time zone here, so the metric
families only ever see tz-naive local times (frames.py).

The window: metrics are written for periods starting on or after `window.start`, but some need
history before it (NRR compares with the same month a year earlier, churn needs who was active,
"new customer" needs each contact's *first* purchase and stage). So orders and stage changes are
loaded from `window.history_start` (13 months earlier), plus — aggregated in the database — each
contact's first purchase and first arrival at each stage before that, which is all the older
history the definitions read. Events (the largest table) are read from the attribution
lookback before the window only, and never row by row: touchpoints (events with a channel) are
their own frame, and the events frame holds campaign events plus one grouped "latest activity"
row per contact (see load_events) — the families read nothing else of them.

On PostgreSQL outside a transaction the queries run two at a time on their own connections
(_run_all); derived frames several families read are cached for a run by
acquisition.shared_results().
"""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from django.db import connection, transaction

from .frames import FRAMES, empty_frame

HISTORY_MONTHS = 13  # NRR yearly reads the same month a year (and a month) earlier


@dataclass(frozen=True)
class Window:
    """The dates a run reads and writes, in the workspace's time zone."""

    start: date  # first period written (first day of a month)
    end: date  # the as-of day (included)
    history_start: date  # orders and stage changes are read from here
    events_start: date  # events and touchpoints are read from here
    tz: str = "UTC"

    @classmethod
    def trailing(cls, *, as_of: date, days: int = 400, lookback_days: int = 30,
                 tz: str = "UTC") -> "Window":
        """The trailing window of `days` ending on as_of, widened to whole months."""
        first = as_of - timedelta(days=days)
        start = first.replace(day=1)
        y, m = divmod(start.year * 12 + start.month - 1 - HISTORY_MONTHS, 12)
        history_start = date(y, m + 1, 1)
        events_start = start - timedelta(days=max(lookback_days, 0))
        return cls(start=start, end=as_of, history_start=history_start,
                   events_start=events_start, tz=tz)

    def utc(self, d: date) -> datetime:
        """Local midnight of day d, as an aware UTC datetime (for SQL bounds)."""
        return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(self.tz)).astimezone(
            ZoneInfo("UTC"))

    @property
    def end_utc(self) -> datetime:
        return self.utc(self.end + timedelta(days=1))


# --- reading rows ---------------------------------------------------------------------------

def read_rows(sql: str, params: list, columns: list[str],
              categories: tuple = (), stream: bool = True) -> pd.DataFrame:
    """One query's rows as a frame with `columns` (all values raw: converted by the caller).

    `categories` names low-cardinality text columns (stages, kinds, event names) the CSV parser
    should read as categoricals: parsing a million repeats of a few words then costs little.
    stream=False fetches plain rows instead: PostgreSQL never runs a COPY's query in parallel,
    so a query that groups millions of rows into a few hundred thousand is faster that way."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql" and stream:
            raw = cur.cursor  # the psycopg2 cursor: COPY needs it
            query = raw.mogrify(sql, params).decode()
            buf = io.StringIO()
            raw.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buf)
            if not buf.tell():  # no rows
                return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
            buf.seek(0)
            # let the C parser type the columns (several times faster than dtype=object);
            # only an empty field is missing, never a name like "NA"
            return pd.read_csv(buf, names=columns, header=None, keep_default_na=False,
                               na_values=[""], low_memory=False,
                               dtype={c: "category" for c in categories} or None)
        if connection.vendor == "sqlite":
            # SQLite compares datetimes as text: Django stores "YYYY-MM-DD HH:MM:SS" (UTC), and
            # an aware bound would be "… +00:00", which sorts after a row at that very instant
            params = [connection.ops.adapt_datetimefield_value(p)
                      if isinstance(p, datetime) else p for p in params]
        cur.execute(sql, params)
        return pd.DataFrame.from_records(cur.fetchall(), columns=columns)


def epoch(column: str) -> str:
    """SQL for a timestamp column as integer microseconds since 1970 (UTC): integers travel
    and parse far faster than timestamp text, and convert to datetime64 without arithmetic."""
    if connection.vendor == "postgresql":
        # date_part is float8 (EXTRACT is numeric since PG 14: ~1 µs a row slower). It is
        # exact here: seconds = µs / 1e6 is off by at most half an ulp (0.12 µs before 2038,
        # 0.24 µs before 2106), × 1e6 adds at most 0.25 µs more, so rounding to bigint gives
        # the stored microseconds back.
        return f"(date_part('epoch', {column}) * 1000000)::bigint"
    return column  # SQLite (the small embedded case) keeps its exact ISO text


def _numeric_text(s: pd.Series) -> bool:
    first = s.dropna()
    return bool(len(first)) and str(first.iloc[0]).lstrip("-").isdigit()


def _times(s: pd.Series, tz: str) -> pd.Series:
    """UTC epoch microseconds (or timestamps) → tz-naive local datetime64[ns]."""
    if pd.api.types.is_datetime64_any_dtype(s):  # the driver already made datetimes
        t = s.dt.tz_localize("UTC") if s.dt.tz is None else s.dt.tz_convert("UTC")
    elif not pd.api.types.is_numeric_dtype(s) and not _numeric_text(s):
        t = pd.to_datetime(s, utc=True, format="ISO8601")
    else:  # epoch microseconds (PostgreSQL)
        t = pd.Series(pd.to_numeric(s).astype("int64").to_numpy().astype("datetime64[us]"),
                      index=s.index).dt.tz_localize("UTC")
    if tz != "UTC":
        t = t.dt.tz_convert(tz)
    return t.dt.tz_localize(None).astype("datetime64[ns]")


def _typed(df: pd.DataFrame, name: str, tz: str, *, dates: tuple = ()) -> pd.DataFrame:
    """Cast raw columns to the dtypes frames.py promises."""
    if df.empty:
        return empty_frame(name)
    out = {}
    for col, dtype in FRAMES[name].items():
        s = df[col]
        if col in dates:
            out[col] = pd.to_datetime(s).astype("datetime64[ns]")
        elif dtype.startswith("datetime"):
            out[col] = _times(s, tz)
        elif dtype == "object":
            if isinstance(s.dtype, pd.CategoricalDtype):  # take the few distinct words
                words = np.append(s.cat.categories.astype(str).to_numpy(dtype=object), "")
                codes = s.cat.codes.to_numpy()
                out[col] = pd.Series(words[np.where(codes < 0, len(words) - 1, codes)],
                                     index=s.index, dtype=object)
            elif s.dtype == object or pd.api.types.is_string_dtype(s):
                out[col] = s.fillna("").astype(object)
            else:  # all empty (parsed as NaN) or all digits (parsed as numbers)
                out[col] = s.astype(object).where(s.notna(), "").astype(str).astype(object)
        elif dtype == "float64":
            out[col] = pd.to_numeric(s, errors="coerce").astype("float64")
        else:
            out[col] = pd.to_numeric(s).fillna(0).astype(dtype)
    return pd.DataFrame(out)


def _lookup(ids: pd.Series, mapping: dict) -> pd.Series:
    """Channel/campaign ids → their public names ("" for none), vectorised."""
    known = pd.Index(list(mapping.keys()), dtype="float64")
    names = np.array(list(mapping.values()) + [""], dtype=object)
    pos = known.get_indexer(pd.to_numeric(ids, errors="coerce").astype("float64").to_numpy())
    pos[pos < 0] = len(known)
    return pd.Series(names[pos], index=ids.index, dtype=object)


# --- the frames -----------------------------------------------------------------------------

def channel_keys(workspace_id: int) -> dict[int, str]:
    rows = read_rows("SELECT id, key FROM engines_channel WHERE workspace_id = %s",
                     [workspace_id], ["id", "key"])
    return dict(zip(pd.to_numeric(rows["id"]).tolist(), rows["key"].astype(str)))


def campaign_codes(workspace_id: int) -> dict[int, str]:
    """Campaigns are named in metrics by their public code (stable across renames)."""
    rows = read_rows("SELECT id, code FROM engines_campaign WHERE workspace_id = %s",
                     [workspace_id], ["id", "code"])
    codes = [str(uuid.UUID(str(c))) for c in rows["code"]]  # SQLite stores hex, PG a uuid
    return dict(zip(pd.to_numeric(rows["id"]).tolist(), codes))


def load_spend(workspace_id: int, window: Window, channels: dict, campaigns: dict) -> pd.DataFrame:
    """Daily spend rows in the window (the table is already one row per day)."""
    df = read_rows(
        "SELECT date, channel_id, campaign_id, amount, impressions, clicks FROM engines_spend "
        "WHERE workspace_id = %s AND date >= %s AND date <= %s",
        [workspace_id, window.start, window.end],
        ["date", "channel_id", "campaign_id", "amount", "impressions", "clicks"])
    df["channel"] = _lookup(df["channel_id"], channels)
    df["campaign"] = _lookup(df["campaign_id"], campaigns)
    return _typed(df, "spend", window.tz, dates=("date",))


def load_contacts(workspace_id: int, window: Window, channels: dict,
                  campaigns: dict) -> pd.DataFrame:
    df = read_rows(
        f"SELECT id, {epoch('created_at')}, stage, source_channel_id, source_campaign_id "
        "FROM crm_contact "
        "WHERE workspace_id = %s AND created_at >= %s AND created_at < %s",
        [workspace_id, *usable_span()],
        ["contact_id", "created_at", "stage", "source_channel_id", "source_campaign_id"],
        categories=("stage",))
    df["source_channel"] = _lookup(df["source_channel_id"], channels)
    df["source_campaign"] = _lookup(df["source_campaign_id"], campaigns)
    return _typed(df, "contacts", window.tz)


def load_stage_changes(workspace_id: int, window: Window) -> pd.DataFrame:
    """Stage changes since history_start, plus each contact's first arrival at each stage
    before it (grouped in the database): "first reached" and signups stay exact."""
    h, end = window.utc(window.history_start), window.end_utc
    df = read_rows(
        f"SELECT contact_id, from_stage, to_stage, {epoch('at')} FROM crm_stagechange "
        "WHERE workspace_id = %s AND at >= %s AND at < %s "
        "UNION ALL "
        f"SELECT contact_id, '' AS from_stage, to_stage, {epoch('MIN(at)')} FROM crm_stagechange "
        "WHERE workspace_id = %s AND at >= %s AND at < %s GROUP BY contact_id, to_stage",
        [workspace_id, h, end, workspace_id, usable_span()[0], h],
        ["contact_id", "from_stage", "to_stage", "at"], categories=("from_stage", "to_stage"))
    return _typed(df, "stage_changes", window.tz)


# only orders that were paid are revenue (a $0 order is still an order); pending, voided,
# failed and cancelled orders are kept on the contact but never counted
COUNTED = "status IN ('paid', 'partially_refunded', 'refunded')"


def load_orders(workspace_id: int, window: Window) -> pd.DataFrame:
    """Orders since history_start, plus each contact's first purchase before it (found with a
    grouped sub-query), so "first purchase" and new-vs-repeat stay exact."""
    h, end = window.utc(window.history_start), window.end_utc
    cols = f"o.id, o.contact_id, {epoch('o.occurred_at')}, o.amount, o.kind, o.margin"
    df = read_rows(
        f"SELECT {cols} FROM crm_order o "
        f"WHERE o.workspace_id = %s AND {COUNTED} "
        "AND o.occurred_at >= %s AND o.occurred_at < %s "
        "UNION ALL "
        f"SELECT {cols} FROM crm_order o JOIN ("
        "  SELECT contact_id, MIN(occurred_at) AS first_at FROM crm_order "
        f"  WHERE workspace_id = %s AND kind <> 'refund' AND {COUNTED} AND occurred_at >= %s "
        "  AND occurred_at < %s GROUP BY contact_id) f "
        "ON o.contact_id = f.contact_id AND o.occurred_at = f.first_at "
        f"WHERE o.workspace_id = %s AND o.kind <> 'refund' AND {COUNTED}",
        [workspace_id, h, end, workspace_id, usable_span()[0], h, workspace_id],
        ["order_id", "contact_id", "occurred_at", "amount", "kind", "margin"],
        categories=("kind",))
    return _typed(df, "orders", window.tz)


def load_order_history(workspace_id: int, window: Window) -> pd.DataFrame:
    """Every purchase up to the window's end, however old (the BG/NBD and Gamma-Gamma fit
    reads the whole purchase history; period metrics keep the window)."""
    cols = f"id, contact_id, {epoch('occurred_at')}, amount, kind, margin"
    df = read_rows(
        f"SELECT {cols} FROM crm_order WHERE workspace_id = %s AND kind <> 'refund' "
        f"AND {COUNTED} AND occurred_at >= %s AND occurred_at < %s",
        [workspace_id, usable_span()[0], window.end_utc],
        ["order_id", "contact_id", "occurred_at", "amount", "kind", "margin"],
        categories=("kind",))
    return _typed(df, "orders", window.tz)


def usable_span() -> tuple[datetime, datetime]:
    """Stored timestamps outside this span are left out of every frame (and listed on the
    data-quality page): pandas cannot hold year 1, and ingest refuses them today."""
    from mos.validation import EARLIEST_DATE

    return (datetime(EARLIEST_DATE.year, EARLIEST_DATE.month, EARLIEST_DATE.day,
                     tzinfo=ZoneInfo("UTC")), datetime(2200, 1, 1, tzinfo=ZoneInfo("UTC")))


def load_events(workspace_id: int, window: Window, channels: dict,
                campaigns: dict) -> pd.DataFrame:
    """The identified events the families read, from the attribution lookback before the window
    to its end: every event of a campaign (response rates), and for each contact one row
    standing for its latest activity event (day-N retention reads only that: whether a
    contact was active on or after day N). The latest-activity rows are grouped in the
    database, so a workspace's millions of page views never travel; they are summaries, not
    events: name "", no channel, no campaign (touchpoints have their own query,
    load_touchpoints). A test checks that retention over this frame equals retention over
    every event.
    """
    from .retention import PASSIVE_EVENTS

    passive = ", ".join(["%s"] * len(PASSIVE_EVENTS))
    start, end = window.utc(window.events_start), window.end_utc
    df = read_rows(
        f"SELECT contact_id, name, channel_id, campaign_id, {epoch('occurred_at')} "
        "FROM crm_event "
        "WHERE workspace_id = %s AND contact_id IS NOT NULL AND campaign_id IS NOT NULL "
        "AND occurred_at >= %s AND occurred_at < %s "
        "UNION ALL "
        f"SELECT contact_id, '', NULL, NULL, {epoch('MAX(occurred_at)')} "
        "FROM crm_event "
        "WHERE workspace_id = %s AND contact_id IS NOT NULL "
        f"AND occurred_at >= %s AND occurred_at < %s AND name NOT IN ({passive}) "
        "GROUP BY contact_id",
        [workspace_id, start, end, workspace_id, start, end, *PASSIVE_EVENTS],
        ["contact_id", "name", "channel_id", "campaign_id", "occurred_at"], stream=False)
    df["channel"] = _lookup(df["channel_id"], channels)
    df["campaign"] = _lookup(df["campaign_id"], campaigns)
    return _typed(df, "events", window.tz)


def load_touchpoints(workspace_id: int, window: Window, channels: dict) -> pd.DataFrame:
    """Marketing touchpoints: the identified events that carry a (known) channel, from the
    attribution lookback before the window to its end, ordered by contact, time and channel."""
    df = read_rows(
        f"SELECT contact_id, channel_id, {epoch('occurred_at')} FROM crm_event "
        "WHERE workspace_id = %s AND contact_id IS NOT NULL AND channel_id IS NOT NULL "
        "AND occurred_at >= %s AND occurred_at < %s",
        [workspace_id, window.utc(window.events_start), window.end_utc],
        ["contact_id", "channel_id", "occurred_at"])
    df["channel"] = _lookup(df["channel_id"], channels)
    df = df[(df["channel"] != "").to_numpy()]
    if df.empty:
        return empty_frame("touchpoints")
    # sort on integers (each channel id's rank among the channel keys stands for its key):
    # several times faster than sorting the strings, same order
    by_key = sorted(channels, key=lambda i: channels[i])
    rank = pd.Series(np.arange(len(by_key)), index=pd.Index(by_key, dtype="float64"))
    channel_rank = rank.reindex(pd.to_numeric(df["channel_id"]).astype("float64")).to_numpy()
    tp = _typed(df, "touchpoints", window.tz)
    order = np.lexsort((channel_rank, tp["occurred_at"].to_numpy(),
                        tp["contact_id"].to_numpy()))
    return tp.take(order).reset_index(drop=True)


def load_lead_feedback(workspace_id: int, window: Window, channels: dict) -> pd.DataFrame:
    df = read_rows(
        f"SELECT f.contact_id, c.source_channel_id, f.quality, f.outcome, {epoch('f.at')} "
        "FROM crm_leadfeedback f JOIN crm_contact c ON c.id = f.contact_id "
        "WHERE f.workspace_id = %s AND f.at >= %s AND f.at < %s",
        [workspace_id, window.utc(window.start), window.end_utc],
        ["contact_id", "source_channel_id", "quality", "outcome", "at"])
    df["channel"] = _lookup(df["source_channel_id"], channels)
    return _typed(df, "lead_feedback", window.tz)


def load_calls(workspace_id: int, window: Window) -> pd.DataFrame:
    """Calls logged with a duration (crm activities): call handling time."""
    df = read_rows(
        f"SELECT COALESCE(a.contact_id, 0), a.duration_seconds, {epoch('a.at')} "
        "FROM crm_activity a WHERE a.workspace_id = %s AND a.kind = 'call' "
        "AND a.duration_seconds IS NOT NULL AND a.at >= %s AND a.at < %s",
        [workspace_id, window.utc(window.start), window.end_utc],
        ["contact_id", "duration_seconds", "at"])
    return _typed(df, "calls", window.tz)


def load_subscriptions(workspace_id: int, window: Window) -> pd.DataFrame:
    """Every subscription of the workspace that started by the as-of day (MRR movements need
    each customer's whole history: a return after years is a reactivation, not new business).
    The customer is the contact, or minus the account's id when only an account is given. An
    end is ended_at, or cancelled_at once the status says it is over."""
    end = ("CASE WHEN ended_at IS NOT NULL THEN ended_at "
           "WHEN status IN ('cancelled', 'ended') THEN cancelled_at END")
    # streamed (COPY → CSV → pandas): a million rows load several times faster than fetched
    # tuples, which build a Decimal per MRR; the plans are few, read as categories
    df = read_rows(
        f"SELECT id, COALESCE(contact_id, -account_id), plan, mrr, {epoch('started_at')}, "
        f"{epoch('trial_end')}, {epoch(end)} FROM crm_subscription "
        "WHERE workspace_id = %s AND started_at < %s",
        [workspace_id, window.end_utc],
        ["subscription_id", "customer_id", "plan", "mrr", "started_at", "trial_end",
         "ended_at"], categories=("plan",))
    if df.empty:
        return empty_frame("subscriptions")
    for col in ("trial_end", "ended_at"):  # NULL stays NaT; times → local, tz-naive
        given = df[col].notna()
        times = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
        if given.any():
            times[given] = _times(df.loc[given, col], window.tz).to_numpy()
        df[col] = times
    out = _typed(df, "subscriptions", window.tz, dates=("trial_end", "ended_at"))
    return out.sort_values("subscription_id", kind="stable", ignore_index=True)


def touchpoints_from(events: pd.DataFrame) -> pd.DataFrame:
    """Marketing touchpoints: the identified events that carry a channel."""
    tp = events.loc[events["channel"] != "", ["contact_id", "channel", "occurred_at"]]
    return tp.reset_index(drop=True)


def conversions_from(orders: pd.DataFrame, stage_changes: pd.DataFrame, *, as_of,
                     since: date) -> pd.DataFrame:
    """New customers converting on/after `since`: first customer stage or first purchase,
    with the revenue of their first purchase (0 when none)."""
    from .economics import new_customer_times

    t = new_customer_times(orders, stage_changes, as_of=as_of)
    t = t[t >= pd.Timestamp(since)]
    if t.empty:
        return empty_frame("conversions")
    sales = orders[orders["kind"] != "refund"].sort_values(["occurred_at", "order_id"])
    first_amount = sales.drop_duplicates("contact_id").set_index("contact_id")["amount"]
    return pd.DataFrame({
        "contact_id": t.index.to_numpy(dtype=np.int64),
        "converted_at": t.to_numpy(dtype="datetime64[ns]"),
        "revenue": first_amount.reindex(t.index).fillna(0.0).to_numpy(dtype=float),
    })


def sort_stage_changes(sc: pd.DataFrame) -> pd.DataFrame:
    """Stage changes by contact, time and stage name (stable), sorting integer codes."""
    if sc.empty:
        return sc.reset_index(drop=True)
    stage_codes, _ = pd.factorize(sc["to_stage"], sort=True)
    order = np.lexsort((stage_codes, sc["at"].to_numpy(), sc["contact_id"].to_numpy()))
    return sc.take(order).reset_index(drop=True)


# Rows come back in whatever order the database scanned them; sort the frames whose order can
# matter (ties in attribution paths, optimiser start in CLV fits) so the same data always gives
# the same numbers (touchpoints are sorted by their loader).
def _sorted_orders(workspace_id: int, window: Window) -> pd.DataFrame:
    return load_orders(workspace_id, window).sort_values("order_id", kind="stable",
                                                         ignore_index=True)


def _sorted_stage_changes(workspace_id: int, window: Window) -> pd.DataFrame:
    return sort_stage_changes(load_stage_changes(workspace_id, window))


def _run_all(jobs: dict, snapshot: str | None = None) -> dict:
    """Run the loaders {name: (function, args)}; on PostgreSQL outside a transaction, two at a
    time on their own connections (each COPY's query runs on one core; the frames are parsed
    while the next query runs), each importing `snapshot` (pg_export_snapshot of the caller's
    REPEATABLE READ transaction), so every frame reads the same state of the database. Inside
    a caller's transaction (tests, or a caller's atomic block) another connection would not
    see uncommitted rows, so they run one after the other on it."""
    if snapshot is None or len(jobs) < 2:
        return {name: fn(*args) for name, (fn, args) in jobs.items()}
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run(fn, args):
        try:
            with transaction.atomic():  # this thread's private, short-lived connection
                with connection.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    cur.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                    cur.execute("SET LOCAL work_mem = '64MB'")  # let the groupings hash in memory
                return fn(*args)
        finally:
            connections.close_all()  # this worker thread's own connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, fn, args) for name, (fn, args) in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


@contextmanager
def consistent_snapshot():
    """One state of the database for every read of a run: on PostgreSQL outside a transaction,
    a REPEATABLE READ, read-only transaction whose snapshot is exported (yields its id, which
    the parallel loaders import), so rows committed while the run loads never mix into its
    frames. Elsewhere (SQLite, or inside a caller's transaction) yields None: the reads run on
    the one connection, in the caller's transaction if any."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield None
        return
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
        yield snapshot


# The large frames, read only from the tables the PostgreSQL change log watches
# (changes.WATCHED): when none of those changed since the previous run's snapshot they are the
# previous run's frames, and load_frames(unchanged_since=…) does not read them.
REUSABLE = ("touchpoints", "events", "stage_changes", "orders", "order_history", "contacts",
            "conversions")


def load_frames(workspace_id: int, window: Window, *, unchanged_since: str | None = None,
                meta: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every input frame of a run (with the whole purchase history the CLV fits read): twelve
    queries, whatever the size of the workspace, all reading one snapshot of the database
    (consistent_snapshot).

    On PostgreSQL outside a transaction, meta["snapshot"] receives that snapshot (text), and
    given `unchanged_since` (an earlier run's snapshot) the REUSABLE frames are left out when
    the change log shows no change to their tables since it: meta["reused"] names them (the
    caller takes the earlier run's digests for them)."""
    from . import changes

    with consistent_snapshot() as snapshot:
        reuse = False
        if snapshot is not None and changes.available():
            if meta is not None:
                meta["snapshot"] = changes.current_snapshot()
            reuse = bool(unchanged_since) and not changes.changed_since(workspace_id,
                                                                        unchanged_since)
        channels = channel_keys(workspace_id)
        campaigns = campaign_codes(workspace_id)
        f = _load_all(workspace_id, window, channels, campaigns, snapshot,
                      skip=REUSABLE if reuse else ())
    if reuse:
        if meta is not None:
            meta["reused"] = REUSABLE
        return f
    orders, stage_changes = f["orders"], f["stage_changes"]
    return {
        "spend": f["spend"],
        "contacts": f["contacts"],
        "stage_changes": stage_changes,
        "orders": orders,
        "events": f["events"],
        "touchpoints": f["touchpoints"],
        "conversions": conversions_from(orders, stage_changes, as_of=window.end,
                                        since=window.start),
        "lead_feedback": f["lead_feedback"],
        "subscriptions": f["subscriptions"],
        "order_history": f["order_history"],
        "calls": f["calls"],
    }


def _load_all(workspace_id, window, channels, campaigns, snapshot, skip=()) -> dict:
    # the slowest first, so the two lanes finish together
    jobs = {
        "touchpoints": (load_touchpoints, (workspace_id, window, channels)),
        "events": (load_events, (workspace_id, window, channels, campaigns)),
        "stage_changes": (_sorted_stage_changes, (workspace_id, window)),
        "orders": (_sorted_orders, (workspace_id, window)),
        "order_history": (load_order_history, (workspace_id, window)),
        "contacts": (load_contacts, (workspace_id, window, channels, campaigns)),
        "spend": (load_spend, (workspace_id, window, channels, campaigns)),
        "lead_feedback": (load_lead_feedback, (workspace_id, window, channels)),
        "subscriptions": (load_subscriptions, (workspace_id, window)),
        "calls": (load_calls, (workspace_id, window)),
    }
    return _run_all({k: v for k, v in jobs.items() if k not in skip}, snapshot)
