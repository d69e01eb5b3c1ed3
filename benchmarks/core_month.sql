-- The core month figures of a workspace in plain PostgreSQL: the yardstick of the metrics
-- recompute (benchmarks/bench_pipeline.py runs it, times it and checks that every row equals
-- the MetricValue the pipeline wrote). Same definitions as engines/metrics (docs/metrics.md):
--
--   spend                       per month, total and per channel (dimension "channel")
--   leads                       contacts first reaching lead or a later funnel stage
--   new_customers               first customer/advocate stage or first paid purchase, whichever
--                               came first
--   revenue                     paid orders, refunds subtracted; orders: paid non-refund orders
--   attributed_conversions.first_touch
--                               each new customer of the window credited to the channel of its
--                               first touch in the 30 days up to its conversion ("direct" when
--                               none; ties at one instant go to the channel key sorting first)
--   cac.first_touch             channel spend / first-touch new customers (channels with spend)
--   cac                         blended: all spend / new customers
--
-- Times are bucketed in the workspace's time zone; periods are months starting on or after
-- :window_start up to the as-of day (included). Run it by hand with psql:
--
--   psql mos_perf16_pipe -v ws=1 -v tz=UTC -v window_start=2025-09-01 -v as_of=2026-10-31 \
--        -v lookback=30 -f benchmarks/core_month.sql
--
-- (bench_pipeline.py passes the same five variables as query parameters.)

WITH
bounds AS (
    SELECT (:'window_start'::timestamp AT TIME ZONE :'tz') AS start_utc,
           ((:'as_of'::date + 1)::timestamp AT TIME ZONE :'tz') AS end_utc,
           :'window_start'::timestamp AS start_local,
           (:'as_of'::date + 1)::timestamp AS end_local
),
spend AS (
    SELECT date_trunc('month', s.date)::date AS period, COALESCE(c.key, '') AS channel,
           SUM(s.amount)::float8 AS amount
    FROM engines_spend s LEFT JOIN engines_channel c ON c.id = s.channel_id, bounds b
    WHERE s.workspace_id = :ws AND s.date >= b.start_local::date AND s.date < b.end_local::date
    GROUP BY 1, 2
),
spend_total AS (
    SELECT period, SUM(amount) AS amount FROM spend GROUP BY 1
),
first_lead AS (
    SELECT MIN(at) AS at FROM crm_stagechange, bounds b
    WHERE workspace_id = :ws AND at < b.end_utc
      AND to_stage IN ('lead', 'mql', 'sql', 'opportunity', 'customer', 'advocate')
    GROUP BY contact_id
),
became_customer AS (  -- contact → first customer stage or first paid purchase (UTC)
    SELECT contact_id, MIN(t) AS at FROM (
        SELECT contact_id, at AS t FROM crm_stagechange, bounds b
        WHERE workspace_id = :ws AND to_stage IN ('customer', 'advocate') AND at < b.end_utc
        UNION ALL
        SELECT contact_id, occurred_at FROM crm_order, bounds b
        WHERE workspace_id = :ws AND kind <> 'refund' AND contact_id IS NOT NULL
          AND status IN ('paid', 'partially_refunded', 'refunded') AND occurred_at < b.end_utc
    ) u GROUP BY contact_id
),
conversions AS (  -- the window's new customers, in local time
    SELECT c.contact_id, c.at AS at_utc, (c.at AT TIME ZONE :'tz') AS at
    FROM became_customer c, bounds b WHERE c.at >= b.start_utc
),
first_touch AS (
    SELECT v.contact_id, v.at, COALESCE(t.key, 'direct') AS channel
    FROM conversions v LEFT JOIN LATERAL (
        SELECT ch.key FROM crm_event e JOIN engines_channel ch ON ch.id = e.channel_id
        WHERE e.contact_id = v.contact_id AND e.workspace_id = :ws
          AND e.channel_id IS NOT NULL
          AND e.occurred_at <= v.at_utc
          AND e.occurred_at >= v.at_utc - make_interval(days => :lookback + 1)
          AND (e.occurred_at AT TIME ZONE :'tz') >= v.at - make_interval(days => :lookback)
        ORDER BY e.occurred_at, ch.key LIMIT 1
    ) t ON true
),
credited AS (
    SELECT date_trunc('month', at)::date AS period, channel, COUNT(*)::float8 AS n
    FROM first_touch GROUP BY 1, 2
),
new_customers AS (
    SELECT date_trunc('month', at)::date AS period, COUNT(*)::float8 AS n
    FROM conversions GROUP BY 1
),
sales AS (
    SELECT date_trunc('month', o.occurred_at AT TIME ZONE :'tz')::date AS period,
           SUM(CASE WHEN o.kind = 'refund' THEN -o.amount ELSE o.amount END)::float8 AS revenue,
           COUNT(*) FILTER (WHERE o.kind <> 'refund')::float8 AS orders
    FROM crm_order o, bounds b
    WHERE o.workspace_id = :ws AND o.status IN ('paid', 'partially_refunded', 'refunded')
      AND o.occurred_at >= b.start_utc AND o.occurred_at < b.end_utc
    GROUP BY 1
)
SELECT 'spend' AS key, period, '' AS dimension, '' AS dimension_value, amount AS value
    FROM spend_total WHERE amount IS NOT NULL
UNION ALL
SELECT 'spend', period, 'channel', channel, amount FROM spend
UNION ALL
SELECT 'leads', date_trunc('month', f.at AT TIME ZONE :'tz')::date, '', '', COUNT(*)::float8
    FROM first_lead f, bounds b WHERE f.at >= b.start_utc GROUP BY 2
UNION ALL
SELECT 'new_customers', period, '', '', n FROM new_customers
UNION ALL
SELECT 'revenue', period, '', '', revenue FROM sales
UNION ALL
SELECT 'orders', period, '', '', orders FROM sales
UNION ALL
SELECT 'attributed_conversions.first_touch', period, 'channel', channel, n FROM credited
UNION ALL
SELECT 'cac.first_touch', s.period, 'channel', s.channel, s.amount / c.n
    FROM spend s JOIN credited c USING (period, channel) WHERE s.amount > 0
UNION ALL
SELECT 'cac', s.period, '', '', s.amount / n.n
    FROM spend_total s JOIN new_customers n USING (period) WHERE s.amount > 0
ORDER BY 1, 2, 3, 4;
