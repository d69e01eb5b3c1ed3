"""Attribution: which channels get the credit for a conversion.

Six models (registry.ATTRIBUTION_MODELS) share one path builder. A converting contact's path is
its touchpoints in [converted_at - lookback, converted_at]; a contact with no conversion by the
end of the as-of day has a non-converting path made of its touchpoints in the lookback window
ending at that midnight (only the Markov model reads those). A conversion with no touch in its
window is credited to the channel NO_TOUCH_CHANNEL ("direct"), as one synthetic touch at the
conversion time, in every model.

Markov (data-driven) is computed exactly: a first-order absorbing chain over the states start,
channels, conversion and null, with transition probabilities counted from all paths; P(conversion)
is the solution of (I - Q) x = r, and a channel's removal effect is 1 - P(conv without it) / P(conv)
where removing a channel sends its inbound probability mass to null. Repeated consecutive touches
of one channel are kept as self-loops (as ChannelAttribution does); in a first-order chain this
gives exactly the same absorption probabilities as collapsing them, which a test checks. Each
conversion's unit credit is split among the distinct channels of its path in proportion to their
removal effects, so credits are per conversion (and per period) and a channel only earns credit
where it touched; docs/metrics-attribution-clv.md compares this with the global formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .registry import ATTRIBUTION_MODELS, VALUE_COLUMNS

NO_TOUCH_CHANNEL = "direct"
GRAINS = ("day", "week", "month")
CREDIT_COLUMNS = ["contact_id", "converted_at", "channel", "credit", "revenue_credit"]
PATH_COLUMNS = ["path_id", "contact_id", "channel", "occurred_at", "converted", "converted_at",
                "revenue"]


def _cutoff(touchpoints: pd.DataFrame, conversions: pd.DataFrame, as_of) -> pd.Timestamp:
    """Midnight after the as-of day: the whole as-of day counts (docs/metrics.md convention)."""
    if as_of is None:
        candidates = [s.max() for s in (touchpoints["occurred_at"], conversions["converted_at"])
                      if len(s) and pd.notna(s.max())]
        as_of = max(candidates) if candidates else pd.Timestamp.now()
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def build_paths(touchpoints: pd.DataFrame, conversions: pd.DataFrame, *, lookback_days: float = 30,
                as_of=None) -> pd.DataFrame:
    """One row per touch of every path (converting first, then non-converting), time-ordered."""
    cutoff = _cutoff(touchpoints, conversions, as_of)
    lookback = pd.Timedelta(days=lookback_days)
    conv = conversions.loc[conversions["converted_at"] < cutoff,
                           ["contact_id", "converted_at", "revenue"]].reset_index(drop=True)
    conv["path_id"] = np.arange(len(conv), dtype=np.int64)
    tp = touchpoints[["contact_id", "channel", "occurred_at"]]
    tp = tp[tp["channel"].notna()]  # a touch without a channel can't be credited

    touched = tp.merge(conv, on="contact_id", how="inner")
    touched = touched[(touched["occurred_at"] >= touched["converted_at"] - lookback)
                      & (touched["occurred_at"] <= touched["converted_at"])]
    # A conversion nobody touched in the window still has to be credited somewhere.
    bare = conv[~np.isin(conv["path_id"].to_numpy(), touched["path_id"].to_numpy())]
    bare = bare.assign(channel=NO_TOUCH_CHANNEL, occurred_at=bare["converted_at"])

    converters = conv["contact_id"].unique()
    idle = tp[~tp["contact_id"].isin(converters)
              & (tp["occurred_at"] >= cutoff - lookback) & (tp["occurred_at"] < cutoff)]
    idle = idle.assign(path_id=len(conv) + pd.factorize(idle["contact_id"])[0].astype(np.int64),
                       converted_at=pd.NaT, revenue=0.0)

    parts = [touched.assign(converted=True), bare.assign(converted=True),
             idle.assign(converted=False)]
    paths = pd.concat([p[PATH_COLUMNS] for p in parts if len(p)] or [parts[0][PATH_COLUMNS]],
                      ignore_index=True)
    # Stable sort: touches at the same instant keep their input order, so results are repeatable.
    return paths.sort_values(["path_id", "occurred_at"], kind="stable", ignore_index=True)


def _groups(path_id: np.ndarray):
    """For rows sorted by path: group index, position in path, path length."""
    new = np.empty(len(path_id), dtype=bool)
    new[:1] = True
    new[1:] = path_id[1:] != path_id[:-1]
    starts = np.flatnonzero(new)
    grp = np.cumsum(new) - 1
    n = np.diff(np.append(starts, len(path_id)))[grp]
    pos = np.arange(len(path_id)) - starts[grp]
    return grp, pos, n


def _sorted(paths: pd.DataFrame) -> pd.DataFrame:
    """The paths in (path, time) order; a no-op for build_paths' output."""
    pid = paths["path_id"].to_numpy()
    ordered = bool((pid[1:] >= pid[:-1]).all())
    if ordered and "occurred_at" in paths:
        same = pid[1:] == pid[:-1]
        ordered = bool((np.diff(paths["occurred_at"].to_numpy())[same] >= np.timedelta64(0)).all())
    if ordered:
        return paths
    by = ["path_id", "occurred_at"] if "occurred_at" in paths else ["path_id"]
    return paths.sort_values(by, kind="stable", ignore_index=True)


def markov_transition_counts(paths: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Transition counts between start(0), channels(1..K), conversion(K+1), null(K+2)."""
    paths = _sorted(paths)
    codes, channels = pd.factorize(paths["channel"])
    k = len(channels)
    state = codes.astype(np.int64) + 1
    grp, pos, n = _groups(paths["path_id"].to_numpy())
    prev = np.empty_like(state)
    prev[1:] = state[:-1]
    prev[pos == 0] = 0  # every path leaves the start state first
    last = pos == n - 1
    end = np.where(paths["converted"].to_numpy()[last], k + 1, k + 2)
    size = k + 3
    flat = np.concatenate([prev * size + state, state[last] * size + end])
    counts = np.bincount(flat, minlength=size * size).reshape(size, size).astype(float)
    return counts, pd.Index(channels, name="channel")


def _conversion_probability(q: np.ndarray, r: np.ndarray) -> float:
    # Absorption probability into "conversion" from the start state: (I - Q) x = r.
    return float(np.linalg.solve(np.eye(len(q)) - q, r)[0])


def markov_removal_effects(paths: pd.DataFrame) -> pd.Series:
    """Exact removal effect of each channel (attrs["p_conversion"] holds P(conversion))."""
    counts, channels = markov_transition_counts(paths)
    k = len(channels)
    out = pd.Series(0.0, index=channels, name="removal_effect")
    out.attrs["p_conversion"] = 0.0
    totals = counts.sum(axis=1, keepdims=True)
    if k == 0 or counts[:, k + 1].sum() == 0:
        return out
    probs = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    q, r = probs[: k + 1, : k + 1], probs[: k + 1, k + 1]
    base = _conversion_probability(q, r)
    out.attrs["p_conversion"] = base
    effects = np.empty(k)
    for c in range(1, k + 1):  # one small (K+1)-square solve per channel
        q_c, r_c = q.copy(), r.copy()
        q_c[:, c] = 0.0  # mass that flowed into c now flows to null
        q_c[c, :] = 0.0  # c is unreachable; zeroing its row keeps I - Q invertible
        r_c[c] = 0.0
        effects[c - 1] = 1.0 - _conversion_probability(q_c, r_c) / base
    out[:] = np.clip(effects, 0.0, 1.0)
    return out


def markov_channel_totals(paths: pd.DataFrame) -> pd.Series:
    """Global Markov credit (ChannelAttribution style): normalised removal effects × conversions."""
    effects = markov_removal_effects(paths)
    conversions = paths.loc[paths["converted"].to_numpy(), "path_id"].nunique()
    total = effects.sum()
    return (effects / total * conversions if total > 0 else effects).rename("conversions")


def _touch_weights(conv: pd.DataFrame, model: str, half_life_days: float,
                   removal: pd.Series | None) -> np.ndarray:
    """Credit of each touch of converting paths (rows sorted by path); sums to 1 per path."""
    grp, pos, n = _groups(conv["path_id"].to_numpy())
    if model == "first_touch":
        return (pos == 0).astype(float)
    if model == "last_touch":
        return (pos == n - 1).astype(float)
    if model == "linear":
        return 1.0 / n
    if model == "position_based":
        middle = np.where(n > 2, 0.2 / np.maximum(n - 2, 1), 0.0)
        ends = np.where(n == 1, 1.0, np.where(n == 2, 0.5, 0.4))
        return np.where((pos == 0) | (pos == n - 1), ends, middle)
    if model == "time_decay":
        age = (conv["converted_at"] - conv["occurred_at"]).to_numpy() / np.timedelta64(1, "D")
        w = np.exp2(-age / half_life_days)
        return w / np.bincount(grp, weights=w)[grp]
    if model == "markov":
        # Distinct channels of the path, weighted by their removal effects.
        codes, channels = pd.factorize(conv["channel"])
        first = ~pd.Series(grp * len(channels) + codes).duplicated().to_numpy()
        effect = removal.reindex(channels).fillna(0.0).to_numpy()
        w = effect[codes] * first
        total = np.bincount(grp, weights=w)[grp]
        distinct = np.bincount(grp, weights=first.astype(float))[grp]
        return np.where(total > 0, w / np.where(total > 0, total, 1.0), first / distinct)
    raise ValueError(f"unknown attribution model {model!r}")


def credit_paths(paths: pd.DataFrame, model: str, half_life_days: float = 7.0,
                 removal: pd.Series | None = None) -> pd.DataFrame:
    """attribute() on prebuilt paths; pass `removal` to reuse one Markov solve across models."""
    conv = paths[paths["converted"].to_numpy()]
    if model == "markov" and removal is None:
        removal = markov_removal_effects(paths)
    weights = _touch_weights(conv, model, half_life_days, removal)
    pid = conv["path_id"].to_numpy()
    # group on (path, the channel's rank among the channel names): integers factorise far
    # faster than the names, and give the same groups in the same (path, channel) order
    codes, names = pd.factorize(conv["channel"])
    by_name = np.argsort(names.to_numpy(dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[by_name] = np.arange(len(names))
    frame = pd.DataFrame({"path_id": pid, "rank": rank[codes] if len(codes) else codes,
                          "credit": weights})
    if (codes < 0).any():  # a missing channel is no group (as grouping on the names)
        frame = frame[codes >= 0]
    credit = frame.groupby(["path_id", "rank"], sort=True, as_index=False)["credit"].sum()
    credit = credit[credit["credit"] > 0]
    channel = names.to_numpy(dtype=object)[by_name][credit["rank"].to_numpy()]
    # each path's first row (the rows are sorted by path) holds its contact, time and revenue
    first = np.flatnonzero(np.r_[True, pid[1:] != pid[:-1]]) if len(pid) else pid
    row = first[np.searchsorted(pid[first], credit["path_id"].to_numpy())]
    return pd.DataFrame({
        "contact_id": conv["contact_id"].to_numpy()[row],
        "converted_at": conv["converted_at"].to_numpy()[row],
        "channel": channel,
        "credit": credit["credit"].to_numpy(),
        "revenue_credit": credit["credit"].to_numpy() * conv["revenue"].to_numpy()[row],
    })[CREDIT_COLUMNS]


def attribute(touchpoints: pd.DataFrame, conversions: pd.DataFrame, *, model: str,
              lookback_days: float = 30, half_life_days: float = 7.0, as_of=None) -> pd.DataFrame:
    """Per conversion and channel: credit (sums to 1 per conversion) and revenue credit."""
    if model not in ATTRIBUTION_MODELS:
        raise ValueError(f"unknown attribution model {model!r}")
    paths = build_paths(touchpoints, conversions, lookback_days=lookback_days, as_of=as_of)
    return credit_paths(paths, model, half_life_days)


def period_start(moments: pd.Series, grain: str) -> pd.Series:
    """First day (as datetime.date) of the day/week (Monday)/month period holding each moment."""
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}")
    days = moments.dt.normalize()
    if grain == "week":
        days = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    elif grain == "month":
        days = days - pd.to_timedelta(days.dt.day - 1, unit="D")
    return days.dt.date


def compute_attribution(touchpoints: pd.DataFrame, conversions: pd.DataFrame, *,
                        grain: str = "month", lookback_days: float = 30,
                        half_life_days: float = 7.0, as_of=None,
                        models=None) -> pd.DataFrame:
    """Attributed conversions and revenue per channel and period, one key pair per model."""
    models = list(ATTRIBUTION_MODELS) if models is None else list(models)
    paths = build_paths(touchpoints, conversions, lookback_days=lookback_days, as_of=as_of)
    removal = markov_removal_effects(paths) if "markov" in models else None
    frames = []
    for model in models:
        credit = credit_paths(paths, model, half_life_days, removal)
        if credit.empty:
            continue
        credit["period"] = period_start(credit["converted_at"], grain)
        sums = credit.groupby(["period", "channel"], as_index=False)[
            ["credit", "revenue_credit"]].sum()
        for base, column in (("attributed_conversions", "credit"),
                             ("attributed_revenue", "revenue_credit")):
            frames.append(pd.DataFrame({
                "key": f"{base}.{model}", "grain": grain, "period": sums["period"],
                "dimension": "channel", "dimension_value": sums["channel"].astype(str),
                "value": sums[column].astype(float)}))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object if c != "value" else float)
                             for c in VALUE_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    return out[out["value"].notna()][VALUE_COLUMNS].reset_index(drop=True)
