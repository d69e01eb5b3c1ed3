-- MRR movements per month in plain PostgreSQL: the yardstick of engines/metrics/subscriptions.py
-- (benchmarks/bench_mrr.py runs it, times it and checks every value against MOS's). The
-- definitions are docs/metrics.md's (ChartMogul / Baremetrics):
--
--   a subscription pays from max(start, trial end) to its end (ended_at, or cancelled_at once
--   the status is cancelled/ended); an end after the as-of day has not happened yet; a
--   subscription whose trial outlived it never paid. Per customer (the contact, or minus the
--   account), every instant (to the second) its MRR changes is one movement, the changes of
--   that instant netted first:
--     new           0 → > 0, the customer's first time
--     reactivation  0 → > 0 again, after a churn
--     expansion     > 0 → more
--     contraction   > 0 → less, still > 0
--     churn         > 0 → 0
--   Per month (the first movement's month … the as-of month), workspace level:
--     mrr, arr, subscription_customers, arpa_mrr (at the month's end), mrr_net_new,
--     mrr_<movement> and mrr_<movement>_customers (distinct customers), logo_churn,
--     mrr_churn_rate, nrr_mrr, grr_mrr, subscription_ltv (ARPA × margin / logo churn of the
--     trailing 12 months).
--
-- Money is summed in whole cents, as MOS does (integer per subscription and customer: sum()
-- of integers is bigint arithmetic, of bigints numeric; a customer's MRR stays below 21 M). Times are bucketed in the workspace's
-- time zone. Run it by hand with psql:
--
--   psql mos_rev11_bench -v ws=1 -v tz=UTC -v as_of=2025-12-31 -v margin=0.8 \
--        -f benchmarks/mrr_movements.sql
--
-- Output: key, period (first day of the month), value — the rows MOS writes as MetricValues
-- (dimension ""), ratios without a denominator left out.

WITH
bounds AS (
    SELECT ((:'as_of'::date + 1)::timestamp AT TIME ZONE :'tz') AS end_utc,
           (:'as_of'::date + 1)::timestamp AS limit_local,
           date_trunc('month', :'as_of'::date)::date AS last_month
),
subs AS (
    SELECT COALESCE(s.contact_id, -s.account_id) AS customer,
           round(s.mrr * 100)::int AS cents,
           s.started_at AT TIME ZONE :'tz' AS started,
           s.trial_end AT TIME ZONE :'tz' AS trial_end,
           (CASE WHEN s.ended_at IS NOT NULL THEN s.ended_at
                 WHEN s.status IN ('cancelled', 'ended') THEN s.cancelled_at END)
               AT TIME ZONE :'tz' AS ended
    FROM crm_subscription s, bounds b
    WHERE s.workspace_id = :ws AND s.started_at < b.end_utc
),
spans AS (
    SELECT customer, cents,
           CASE WHEN trial_end > started THEN trial_end ELSE started END AS pay_from,
           CASE WHEN ended < b.limit_local THEN ended END AS pay_to
    FROM subs, bounds b
),
paying AS (
    SELECT sp.* FROM spans sp, bounds b
    WHERE sp.cents > 0 AND sp.pay_from < b.limit_local
      AND (sp.pay_to IS NULL OR sp.pay_to > sp.pay_from)
),
changes AS (  -- one row per (customer, second) the MRR changes, netted
    SELECT customer, at, SUM(delta)::int AS delta
    FROM (SELECT customer, date_trunc('second', pay_from) AS at, cents AS delta FROM paying
          UNION ALL
          SELECT customer, date_trunc('second', pay_to), -cents FROM paying
          WHERE pay_to IS NOT NULL) c
    GROUP BY customer, at
    HAVING SUM(delta) <> 0
),
running AS (
    SELECT customer, at, delta,
           SUM(delta) OVER w AS after,
           SUM(delta) OVER w - delta AS before,
           LAG(at) OVER w AS prev_at
    FROM changes
    WINDOW w AS (PARTITION BY customer ORDER BY at ROWS UNBOUNDED PRECEDING)
),
starts AS (
    SELECT *, (before = 0 AND after > 0) AS begins,
           COUNT(*) FILTER (WHERE before = 0 AND after > 0)
               OVER (PARTITION BY customer ORDER BY at ROWS UNBOUNDED PRECEDING) AS nth_start
    FROM running
),
moves AS (
    SELECT customer, date_trunc('month', at)::date AS month, delta, before, after,
           -- the customer's first change of the month: its `before` is the month's start MRR
           (prev_at IS NULL OR date_trunc('month', prev_at) <> date_trunc('month', at))
               AS first_in_month,
           CASE WHEN begins AND nth_start = 1 THEN 'new'
                WHEN begins THEN 'reactivation'
                WHEN after = 0 THEN 'churn'
                WHEN after > before THEN 'expansion'
                ELSE 'contraction' END AS kind
    FROM starts
),
per_month AS (
    SELECT month,
           SUM(abs(delta)) FILTER (WHERE kind = 'new') AS new,
           SUM(abs(delta)) FILTER (WHERE kind = 'expansion') AS expansion,
           SUM(abs(delta)) FILTER (WHERE kind = 'contraction') AS contraction,
           SUM(abs(delta)) FILTER (WHERE kind = 'churn') AS churn,
           SUM(abs(delta)) FILTER (WHERE kind = 'reactivation') AS reactivation,
           COUNT(DISTINCT customer) FILTER (WHERE kind = 'new') AS new_c,
           COUNT(DISTINCT customer) FILTER (WHERE kind = 'expansion') AS expansion_c,
           COUNT(DISTINCT customer) FILTER (WHERE kind = 'contraction') AS contraction_c,
           COUNT(DISTINCT customer) FILTER (WHERE kind = 'churn') AS churn_c,
           COUNT(DISTINCT customer) FILTER (WHERE kind = 'reactivation') AS reactivation_c,
           COUNT(*) FILTER (WHERE kind IN ('new', 'reactivation'))
               - COUNT(*) FILTER (WHERE kind = 'churn') AS customers_step,
           SUM(delta) AS net
    FROM moves GROUP BY month
),
cust_month AS (  -- each customer's change over a month, and its MRR at the month's start
    SELECT month, SUM(delta) AS d, SUM(before::int) FILTER (WHERE first_in_month) AS s
    FROM moves GROUP BY customer, month
),
retention AS (
    SELECT month, SUM(d) AS diff, SUM(LEAST(d, 0)) AS diff_capped
    FROM cust_month WHERE s > 0 GROUP BY month
),
months AS (
    SELECT m::date AS month
    FROM bounds b, generate_series((SELECT MIN(month) FROM moves), b.last_month,
                                   interval '1 month') m
),
monthly AS (
    SELECT m.month,
           COALESCE(p.new, 0) AS new, COALESCE(p.expansion, 0) AS expansion,
           COALESCE(p.contraction, 0) AS contraction, COALESCE(p.churn, 0) AS churn,
           COALESCE(p.reactivation, 0) AS reactivation,
           COALESCE(p.new_c, 0) AS new_c, COALESCE(p.expansion_c, 0) AS expansion_c,
           COALESCE(p.contraction_c, 0) AS contraction_c, COALESCE(p.churn_c, 0) AS churn_c,
           COALESCE(p.reactivation_c, 0) AS reactivation_c,
           COALESCE(p.net, 0) AS net,
           SUM(COALESCE(p.net, 0)) OVER w AS mrr_end,
           SUM(COALESCE(p.net, 0)) OVER w - COALESCE(p.net, 0) AS mrr_start,
           SUM(COALESCE(p.customers_step, 0)) OVER w AS cust_end,
           SUM(COALESCE(p.customers_step, 0)) OVER w - COALESCE(p.customers_step, 0)
               AS cust_start,
           COALESCE(r.diff, 0) AS diff, COALESCE(r.diff_capped, 0) AS diff_capped
    FROM months m LEFT JOIN per_month p USING (month) LEFT JOIN retention r USING (month)
    WINDOW w AS (ORDER BY m.month ROWS UNBOUNDED PRECEDING)
),
rates AS (
    SELECT *,
           mrr_end / 100.0 / NULLIF(cust_end, 0) AS arpa,
           SUM(churn_c) OVER w12 / NULLIF(SUM(cust_start) OVER w12, 0) AS churn12
    FROM monthly
    WINDOW w12 AS (ORDER BY month ROWS 11 PRECEDING)
)
SELECT v.key, r.month AS period, v.value::float8 AS value
FROM rates r
CROSS JOIN LATERAL (VALUES
    ('mrr', r.mrr_end / 100.0),
    ('arr', r.mrr_end / 100.0 * 12),
    ('subscription_customers', r.cust_end::numeric),
    ('arpa_mrr', r.arpa),
    ('mrr_net_new', r.net / 100.0),
    ('mrr_new', r.new / 100.0),
    ('mrr_expansion', r.expansion / 100.0),
    ('mrr_contraction', r.contraction / 100.0),
    ('mrr_churn', r.churn / 100.0),
    ('mrr_reactivation', r.reactivation / 100.0),
    ('mrr_new_customers', r.new_c::numeric),
    ('mrr_expansion_customers', r.expansion_c::numeric),
    ('mrr_contraction_customers', r.contraction_c::numeric),
    ('mrr_churn_customers', r.churn_c::numeric),
    ('mrr_reactivation_customers', r.reactivation_c::numeric),
    ('logo_churn', r.churn_c / NULLIF(r.cust_start, 0)::numeric),
    ('mrr_churn_rate', (r.churn + r.contraction) / NULLIF(r.mrr_start, 0)::numeric),
    ('nrr_mrr', (r.mrr_start + r.diff) / NULLIF(r.mrr_start, 0)::numeric),
    ('grr_mrr', (r.mrr_start + r.diff_capped) / NULLIF(r.mrr_start, 0)::numeric),
    ('subscription_ltv', r.arpa * :margin / NULLIF(r.churn12, 0))
) AS v(key, value)
WHERE v.value IS NOT NULL
ORDER BY v.key, r.month;
