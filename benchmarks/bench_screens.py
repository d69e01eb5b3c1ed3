"""Time the contacts list and the dashboard on a workspace of a million contacts (run by hand).

    .venv/bin/python benchmarks/bench_screens.py [--requests 200] [--warmup 5]
        [--database-url postgres://postgres@127.0.0.1:5432/mos_seedbench] [--slug seedbench]
        [--recompute] [--budget 120] [--no-explain] [--no-analyze] [--profile]

Needs the workspace benchmarks/bench_seed.py leaves behind (run that first; this script never
creates, migrates or drops anything). Tables the seed's COPY left without planner statistics
are ANALYZEd first, as autovacuum would on a live server (--no-analyze skips that). If the
workspace has no MetricValue rows yet (the dashboard reads only those) it runs a metrics
recompute synchronously and prints how long it took (--recompute forces one).

Then, signed in as the workspace's admin through django.test.Client (server side only: no
network, no browser), it times each scenario: a few warm-up requests, then N requests timed with
time.perf_counter(); every response must be 200. It prints count, p50, p95 and max in ms per
scenario, then one profiled request per scenario (SQL queries, their total time, the slowest
one), and for every scenario with p95 over 200 ms the EXPLAIN (ANALYZE, BUFFERS) of its slowest
query. DEBUG is switched off while timing (no query log, no template debug), as in production.

--budget caps the seconds spent timing one scenario (the printed count is then below N);
--profile adds a cProfile of one request of each slow scenario.
"""

from __future__ import annotations

import argparse
import html
import math
import os
import platform
import re
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mos_seedbench"
SLOW_MS = 200.0
DEEP_ROW = 10_000  # the "later page" starts after this many rows (page 201 at 50 a page)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def fail(message: str) -> None:
    print(f"\nFAILED: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    ap.add_argument("--warmup", type=int, default=5, help="untimed requests per scenario")
    ap.add_argument("--slug", default="seedbench", help="the workspace bench_seed.py built")
    ap.add_argument("--recompute", action="store_true",
                    help="recompute metrics even if the workspace already has some")
    ap.add_argument("--budget", type=float, default=120.0,
                    help="at most this many seconds of timed requests per scenario (0: none)")
    ap.add_argument("--no-explain", action="store_true",
                    help="skip EXPLAIN ANALYZE of the slow scenarios' slowest queries")
    ap.add_argument("--no-analyze", action="store_true",
                    help="do not ANALYZE tables that have no planner statistics yet")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one request of each slow scenario (top functions)")
    ap.add_argument("--only", choices=["contacts", "search", "dashboard"], action="append",
                    help="time only these screens (repeatable; default: all)")
    ap.add_argument("--compare-direct", action="store_true",
                    help="time every search twice, alternating request by request: as the page "
                         "runs it (a bounded walk, then the matches by id: crm.selectors.SearchNarrower) and "
                         "directly (one sorted query, the plan PostgreSQL picks), and print both "
                         "with their ratio")
    args = ap.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mos.settings")

    import django

    django.setup()
    from django.conf import settings
    from django.db import OperationalError, connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm import selectors as crm_selectors
    from mos.pagination import encode_cursor, keyset_ordering
    from crm.models import Contact, Event, Order, Stage
    from engines import services
    from engines.models import MetricRun, MetricValue
    from crm.models import Channel
    from mos.models import Membership, Workspace
    from mos.roles import Role

    settings.DEBUG = False  # as in production: no connection.queries log, no template debug
    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    seed_hint = ("run benchmarks/bench_seed.py first:\n  .venv/bin/python benchmarks/bench_seed.py "
                 f"--contacts 1000000 --database-url {args.database_url}")
    try:
        ws = Workspace.objects.filter(slug=args.slug).first()
    except OperationalError as e:
        fail(f"cannot read the database ({str(e).strip()}); {seed_hint}")
    if ws is None:
        fail(f"no workspace {args.slug!r} in {args.database_url}; {seed_hint}")
    admin = (Membership.objects.filter(workspace=ws, role=Role.ADMIN).select_related("user")
             .order_by("id").first())
    if admin is None:
        fail(f"workspace {args.slug!r} has no admin member")
    user = admin.user

    # --- the set-up ----------------------------------------------------------------------
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg_version = cur.fetchone()[0]
        cur.execute("SELECT current_setting('shared_buffers'), current_setting('work_mem'), "
                    "pg_size_pretty(pg_database_size(current_database()))")
        shared_buffers, work_mem, db_size = cur.fetchone()
    t = time.perf_counter()
    n_contacts = Contact.objects.filter(workspace=ws).count()
    n_events = Event.objects.filter(workspace=ws).count()
    n_orders = Order.objects.filter(workspace=ws).count()
    count_s = time.perf_counter() - t
    try:
        cpus_usable = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus_usable = os.cpu_count()

    print(f"command:     {shlex.join(getattr(sys, 'orig_argv', [sys.executable, *sys.argv]))}")
    print(f"database:    {args.database_url}  ({db_size})")
    print(f"postgresql:  {pg_version}")
    print(f"             shared_buffers={shared_buffers} work_mem={work_mem}")
    print(f"python:      {platform.python_version()}  django {django.get_version()}  "
          f"DEBUG={settings.DEBUG} during timing")
    print(f"machine:     {platform.machine()}, {os.cpu_count()} CPUs ({cpus_usable} usable), "
          f"{platform.platform()}")
    print(f"workspace:   {ws.slug} (id {ws.pk}), signed in as {user.email} ({admin.role})")
    print(f"rows:        contacts {n_contacts:,}  events {n_events:,}  orders {n_orders:,}  "
          f"(counted in {count_s:.1f} s)")

    # --- planner statistics: bulk COPY leaves tables unanalyzed, and with autovacuum off
    # (as on some benchmark servers) they stay so; a live server has statistics
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('autovacuum')")
        autovacuum = cur.fetchone()[0]
        cur.execute("SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' "
                    "AND last_analyze IS NULL AND last_autoanalyze IS NULL "
                    "AND n_live_tup > 0 ORDER BY relname")
        unanalyzed = [r[0] for r in cur.fetchall()]
    print(f"\nautovacuum:  {autovacuum}; tables never analyzed: {len(unanalyzed)}"
          + (f" ({', '.join(unanalyzed[:8])}{', …' if len(unanalyzed) > 8 else ''})"
             if unanalyzed else ""))
    if unanalyzed and not args.no_analyze:
        t = time.perf_counter()
        with connection.cursor() as cur:
            for table in unanalyzed:
                cur.execute(f'ANALYZE "{table}"')
        print(f"analyze:     ANALYZE of those {len(unanalyzed)} tables took "
              f"{time.perf_counter() - t:.1f} s (--no-analyze skips it)")
    elif unanalyzed:
        print("analyze:     skipped (--no-analyze): the planner works without statistics")

    # --- metrics: the dashboard reads MetricValue rows -------------------------------------
    n_values = MetricValue.objects.filter(workspace=ws).count()
    if n_values == 0 or args.recompute:
        why = "forced by --recompute" if n_values else "the workspace has no MetricValue rows"
        print(f"\nmetrics recompute ({why}) …", flush=True)
        t = time.perf_counter()
        run = services.metric_run_start(workspace=ws, trigger=MetricRun.Trigger.MANUAL,
                                        sync=True)
        recompute_s = time.perf_counter() - t
        run.refresh_from_db()
        if run.status != MetricRun.Status.SUCCEEDED:
            fail(f"metric run {run.code} ended {run.status}:\n{run.error}")
        steps = "  ".join(f"{k} {v:.1f}s" for k, v in (run.timings or {}).items())
        print(f"recompute:   {recompute_s:.1f} s wall, {run.rows_written:,} values written, "
              f"window {run.window_start} → {run.window_end}")
        print(f"             steps: {steps}")
        n_values = MetricValue.objects.filter(workspace=ws).count()
        if not args.no_analyze:  # what autoanalyze does after a big write
            with connection.cursor() as cur:
                cur.execute('ANALYZE "engines_metricvalue"')
    else:
        last = (MetricRun.objects.filter(workspace=ws, status=MetricRun.Status.SUCCEEDED)
                .order_by("-finished_at").first())
        took = (f", last run took {(last.finished_at - last.started_at).total_seconds():.1f} s"
                if last and last.started_at and last.finished_at else "")
        print(f"\nrecompute:   skipped (metrics already present{took}; --recompute forces one)")
    print(f"metrics:     {n_values:,} MetricValue rows")

    # --- scenarios -------------------------------------------------------------------------
    base = f"/w/{ws.slug}/"
    contacts_url = base + "contacts/"

    def deep_cursor(sort: str) -> str:
        """?after= for the page that starts after DEEP_ROW rows, built like the view does."""
        qs = crm_selectors.contact_list(ws, sort=sort)
        ordering = keyset_ordering(qs)
        row = qs[DEEP_ROW - 1]
        return encode_cursor([getattr(row, name) for name, _d in ordering])

    # search terms drawn from the data: a contact in the middle of the table with a Latin
    # name, an e-mail, a phone and a company
    sample = None
    mid = Contact.objects.filter(workspace=ws).order_by("id").values_list("id", flat=True)[
        n_contacts // 2]
    for c in (Contact.objects.filter(workspace=ws, id__gte=mid).exclude(email="")
              .exclude(phone="").exclude(company="").order_by("id")[:200]):
        if re.match(r"[A-Za-z]{4}", c.name or ""):
            sample = c
            break
    if sample is None:
        fail("found no contact with a Latin name, an e-mail, a phone and a company")
    # an Arabic-script name near the middle of the table too
    arabic = (Contact.objects.filter(workspace=ws, id__gte=mid,
                                     name__regex=r"^[\u0600-\u06FF ]{6,}$")
              .order_by("id").values_list("name", flat=True).first())
    if arabic is None:
        fail("found no contact with an Arabic name")
    local, domain = sample.email.split("@", 1)
    # the company's longest word in lower case, or 5 letters inside it if it is long
    word = max(re.findall(r"[A-Za-z]{4,}", sample.company) or [sample.company], key=len)
    company_fragment = (word[1:6] if len(word) > 6 else word).lower()
    phone_prefix = sample.phone[:8]

    channels = dict(Channel.objects.filter(workspace=ws).values_list("id", "key"))
    per_channel = {}
    for row in (Contact.objects.filter(workspace=ws, source_channel__isnull=False)
                .values("source_channel").order_by().annotate(n=Count("id"))):
        per_channel[channels[row["source_channel"]]] = row["n"]
    if not per_channel:
        fail("no contact has a source channel")
    common_channel = max(per_channel, key=per_channel.get)
    rare_channel = min(per_channel, key=per_channel.get)

    from datetime import date

    today = date.today()
    this_month = today.replace(day=1)
    last_full = date(this_month.year - (this_month.month == 1), (this_month.month - 2) % 12 + 1, 1)
    first_of_12 = date(last_full.year - (last_full.month < 12), (last_full.month % 12) + 1, 1)
    custom = f"period=custom&from={first_of_12:%Y-%m}&to={last_full:%Y-%m}"

    htmx = {"HX-Request": "true", "HX-Target": "channel-table"}
    # (group, label, url, headers)
    scenarios = [
        ("contacts", "first page (default sort -created_at)", contacts_url, None),
        ("contacts", "sorted ?sort=name", contacts_url + "?sort=name", None),
        ("contacts", "sorted ?sort=stage", contacts_url + "?sort=stage", None),
        ("contacts", "next page (the page's Next link)", None, None),  # filled in below
        ("contacts", f"later page, rows {DEEP_ROW + 1:,}+ (keyset ?after=)",
         contacts_url + f"?after={deep_cursor('-created_at')}&start={DEEP_ROW + 1}", None),
        ("contacts", f"later page ?sort=name, rows {DEEP_ROW + 1:,}+",
         contacts_url + f"?sort=name&after={deep_cursor('name')}&start={DEEP_ROW + 1}", None),
        ("contacts", f"filter ?stage={Stage.CUSTOMER}", contacts_url + f"?stage={Stage.CUSTOMER}",
         None),
        ("contacts", f"filter ?channel={common_channel} ({per_channel[common_channel]:,})",
         contacts_url + f"?channel={common_channel}", None),
        ("contacts", f"filter ?channel={rare_channel} ({per_channel[rare_channel]:,})",
         contacts_url + f"?channel={rare_channel}", None),
        ("contacts", f"filter ?stage={Stage.CUSTOMER}&channel={rare_channel}",
         contacts_url + f"?stage={Stage.CUSTOMER}&channel={rare_channel}", None),
    ]
    terms = [
        ("name prefix", sample.name[:4]),
        ("full name", sample.name),
        ("2-letter prefix", sample.name[:2]),
        ("full e-mail", sample.email),
        ("partial e-mail", f"{local}@{domain[:3]}"),
        ("e-mail local part", local[:7]),
        ("phone prefix", phone_prefix),
        ("full phone", sample.phone),
        ("Arabic full name", arabic),
        ("Arabic first name", arabic.split()[0]),
        ("company fragment", company_fragment),
        ("matches nothing", "qzxwvk"),
    ]
    from urllib.parse import urlencode

    for label, term in terms:
        scenarios.append(("search", f"{label} q={term!r}", contacts_url + "?" + urlencode(
            {"q": term}), None))
    scenarios += [
        ("dashboard", "last month (default)", base, None),
        ("dashboard", "?period=quarter", base + "?period=quarter", None),
        ("dashboard", f"12 months {first_of_12:%Y-%m}..{last_full:%Y-%m}", base + "?" + custom,
         None),
        ("dashboard", "htmx channel-table ?model=markov", base + "?model=markov", htmx),
    ]

    if args.only:
        scenarios = [sc for sc in scenarios if sc[0] in args.only or sc[2] is None]
    client = Client()
    client.force_login(user)

    def get(url, headers):
        r = client.get(url, headers=headers or {})
        if r.status_code != 200:
            fail(f"GET {url} answered {r.status_code} (expected 200)"
                 + (f" → {r.get('Location')}" if r.get("Location") else ""))
        return r

    # the Next link of the first page, exactly as the page renders it
    first = get(contacts_url, None).content.decode()
    m = re.search(r'rel="next" href="([^"]+)"', first)
    if not m:
        fail("the contacts page has no Next link")
    next_url = html.unescape(m.group(1))
    scenarios = [(g, lbl, next_url if u is None else u, h) for g, lbl, u, h in scenarios
                 if u is not None or not args.only or "contacts" in args.only]

    # sanity: the htmx request gets the partial, the others the whole page
    part = get(base + "?model=markov", htmx).content.decode()
    if "<html" in part or "channel" not in part:
        fail("the htmx request did not get the channel-table partial")

    print(f"\nsearch sample: contact id {sample.pk}; phone prefix {phone_prefix!r}, company "
          f"{sample.company!r}")
    print(f"timing: {args.warmup} warm-up + {args.requests} timed requests per scenario"
          + (f", at most {args.budget:.0f} s each" if args.budget else "") + "\n", flush=True)

    results = []
    w = max(len(s[1]) for s in scenarios) + 2
    header = f"{'screen':<10}{'scenario':<{w}}{'count':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    narrow = crm_selectors.SearchNarrower

    class Direct:  # the search as one sorted query: no bounded walk, no matches by id
        def __init__(self, workspace, filters):
            self.qs = crm_selectors.contact_list(workspace, **filters)

        def __call__(self, after, n):
            return self.qs.filter(after)

    def timed(url, headers, fenced=True):
        crm_selectors.SearchNarrower = narrow if fenced else Direct
        try:
            t0 = time.perf_counter()
            get(url, headers)
            return (time.perf_counter() - t0) * 1000
        finally:
            crm_selectors.SearchNarrower = narrow

    compared = []
    for group, label, url, headers in scenarios:
        both = args.compare_direct and group == "search"
        for _ in range(args.warmup):
            timed(url, headers)
            if both:
                timed(url, headers, fenced=False)
        times, times_direct = [], []
        started = time.perf_counter()
        for _ in range(args.requests):
            times.append(timed(url, headers))
            if both:  # alternating, so both see the same machine
                times_direct.append(timed(url, headers, fenced=False))
            if args.budget and time.perf_counter() - started > args.budget * (1 + both):
                break
        for kind, ts in [("", times)] + ([(" [direct]", times_direct)] if both else []):
            ts.sort()
            p50, p95, mx = percentile(ts, 50), percentile(ts, 95), ts[-1]
            if not kind:
                results.append(dict(group=group, label=label, url=url, headers=headers,
                                    n=len(ts), p50=p50, p95=p95, max=mx))
            else:
                compared.append((label, results[-1]["p95"], p95))
            flag = "  SLOW" if p95 > SLOW_MS else ""
            print(f"{group:<10}{(label + kind):<{w}}{len(ts):>6}{p50:>9.1f}{p95:>9.1f}"
                  f"{mx:>9.1f}{flag}", flush=True)
    if compared:
        print("\nsearch p95, as the page runs it vs one direct sorted query (same run, alternating):")
        for label, fenced, plain in compared:
            print(f"  {label:<{w}}{fenced:>9.1f} ms vs {plain:>9.1f} ms  "
                  f"{fenced / plain:>6.2f}×")

    # --- one profiled request per scenario -----------------------------------------------
    print(f"\nSQL of one request per scenario (CaptureQueriesContext)")
    header = f"{'screen':<10}{'scenario':<{w}}{'queries':>8}{'SQL ms':>9}{'slowest ms':>11}"
    print(header)
    print("-" * len(header))
    for r in results:
        with CaptureQueriesContext(connection) as cq:
            get(r["url"], r["headers"])
        qs = [(float(q["time"]) * 1000, q["sql"]) for q in cq.captured_queries]
        slowest = max(qs, default=(0.0, ""))
        selects = [q for q in qs if q[1].lstrip().upper().startswith("SELECT")]
        r["slowest_sql"] = max(selects, default=(0.0, ""))[1]
        print(f"{r['group']:<10}{r['label']:<{w}}{len(qs):>8}{sum(t for t, _s in qs):>9.1f}"
              f"{slowest[0]:>11.1f}")

    anchor = next((r for r in results if r["group"] == "contacts"), None)
    if anchor is not None:
        print(f"\nsearch p95 as a ratio to the anchor (contacts first page, p95 "
              f"{anchor['p95']:.1f} ms, same run):")
    for r in results if anchor is not None else []:
        if r["group"] == "search":
            print(f"  {r['label']:<{w}}{r['p95']:>9.1f} ms  {r['p95'] / anchor['p95']:>6.2f}×")
    slow = [r for r in results if r["p95"] > SLOW_MS]
    print(f"\nscenarios with p95 > {SLOW_MS:.0f} ms: "
          + (", ".join(f"{r['group']}: {r['label']}" for r in slow) if slow else "none"))
    for r in slow if not args.no_explain or args.profile else []:
        print(f"\n=== {r['group']}: {r['label']} — GET {r['url']}"
              + (f"  {r['headers']}" if r["headers"] else ""))
        sql = r["slowest_sql"]
        if not args.no_explain and sql:
            print(f"slowest SELECT:\n{sql}\n")
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(row[0] for row in cur.fetchall()))
        if args.profile:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            get(r["url"], r["headers"])
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
            print("\ncProfile of one request (top 40 by cumulative time):")
            print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))
    print(f"\ncommand: {shlex.join(getattr(sys, 'orig_argv', [sys.executable, *sys.argv]))}")


if __name__ == "__main__":
    main()
