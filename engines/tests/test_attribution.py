"""Attribution models: hand-computed cases; exact Markov against an independent implementation."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from engines.metrics.attribution import (
    NO_TOUCH_CHANNEL, attribute, build_paths, compute_attribution, markov_channel_totals,
    markov_removal_effects)
from engines.metrics.frames import make_frame
from engines.metrics.registry import ATTRIBUTION_MODELS, REGISTRY, VALUE_COLUMNS

AS_OF = "2024-01-31"


def touches(*rows):
    return make_frame("touchpoints", list(rows))


def convs(*rows):
    return make_frame("conversions", list(rows))


@pytest.fixture
def small():
    """Contact 1: search (Jan 1), email (Jan 8), social (Jan 15), converts Jan 15 for 100.
    Contact 2: email twice (Jan 10, 12), converts Jan 20 for 50.
    Contact 3: one search touch on Nov 1 (outside the 30-day window), converts Jan 20 for 30.
    Contact 4: an ads touch, never converts (a non-converting path, Markov only).
    """
    tp = touches((1, "search", "2024-01-01"), (1, "email", "2024-01-08"),
                 (1, "social", "2024-01-15"), (2, "email", "2024-01-10"),
                 (2, "email", "2024-01-12"), (3, "search", "2023-11-01"),
                 (4, "ads", "2024-01-25"))
    cv = convs((1, "2024-01-15", 100.0), (2, "2024-01-20", 50.0), (3, "2024-01-20", 30.0))
    return tp, cv


def credit_of(frame, contact):
    rows = frame[frame["contact_id"] == contact]
    return dict(zip(rows["channel"], rows["credit"]))


# Expected credits of contact 1 (path search, email, social; ages 14, 7, 0 days):
#   first touch: search 1           last touch: social 1          linear: 1/3 each
#   position based (3 touches): 0.4 / 0.2 / 0.4
#   time decay, half-life 7: weights 2^-2, 2^-1, 2^0 = 0.25, 0.5, 1 (sum 1.75)
#     -> search 1/7, email 2/7, social 4/7
CONTACT_1 = {
    "first_touch": {"search": 1.0},
    "last_touch": {"social": 1.0},
    "linear": {"search": 1 / 3, "email": 1 / 3, "social": 1 / 3},
    "position_based": {"search": 0.4, "email": 0.2, "social": 0.4},
    "time_decay": {"search": 1 / 7, "email": 2 / 7, "social": 4 / 7},
}


@pytest.mark.parametrize("model", list(CONTACT_1))
def test_rule_based_models_by_hand(small, model):
    tp, cv = small
    out = attribute(tp, cv, model=model, as_of=AS_OF)
    assert credit_of(out, 1) == pytest.approx(CONTACT_1[model])
    # Contact 2 only ever saw email; contact 3's only touch is outside the window -> direct.
    assert credit_of(out, 2) == pytest.approx({"email": 1.0})
    assert credit_of(out, 3) == pytest.approx({NO_TOUCH_CHANNEL: 1.0})
    assert set(out["contact_id"]) == {1, 2, 3}  # contact 4 never converted
    # Revenue follows the credit: 100 x credit for contact 1.
    c1 = out[out["contact_id"] == 1].set_index("channel")
    assert (c1["revenue_credit"] / c1["credit"]).to_numpy() == pytest.approx(100.0)


def test_position_based_lengths():
    # 1 touch: 100 %.  2 touches: 50/50.  4 touches: 0.4, 0.1, 0.1, 0.4.
    tp = touches((1, "a", "2024-01-10"),
                 (2, "a", "2024-01-10"), (2, "b", "2024-01-11"),
                 (3, "a", "2024-01-10"), (3, "b", "2024-01-11"), (3, "c", "2024-01-12"),
                 (3, "d", "2024-01-13"))
    cv = convs((1, "2024-01-20", 0.0), (2, "2024-01-20", 0.0), (3, "2024-01-20", 0.0))
    out = attribute(tp, cv, model="position_based", as_of=AS_OF)
    assert credit_of(out, 1) == pytest.approx({"a": 1.0})
    assert credit_of(out, 2) == pytest.approx({"a": 0.5, "b": 0.5})
    assert credit_of(out, 3) == pytest.approx({"a": 0.4, "b": 0.1, "c": 0.1, "d": 0.4})


def test_time_decay_half_life_parameter():
    # Ages 10 and 0 days with half-life 10: weights 0.5 and 1 -> 1/3 and 2/3.
    tp = touches((1, "a", "2024-01-10"), (1, "b", "2024-01-20"))
    out = attribute(tp, convs((1, "2024-01-20", 0.0)), model="time_decay", half_life_days=10,
                    as_of=AS_OF)
    assert credit_of(out, 1) == pytest.approx({"a": 1 / 3, "b": 2 / 3})


def test_lookback_window_bounds_are_inclusive():
    # Touches exactly 30 days before and at the conversion count; 31 days before does not.
    tp = touches((1, "old", "2023-12-20"), (1, "edge", "2023-12-21"), (1, "now", "2024-01-20"))
    out = attribute(tp, convs((1, "2024-01-20", 0.0)), model="linear", as_of=AS_OF)
    assert credit_of(out, 1) == pytest.approx({"edge": 0.5, "now": 0.5})


def test_build_paths_non_converting_window():
    # Non-converting paths use [as_of - lookback, as_of]; later conversions don't count yet.
    tp = touches((4, "ads", "2024-01-25"), (4, "seo", "2023-12-01"), (5, "ads", "2024-02-05"),
                 (6, "email", "2024-01-30"))
    cv = convs((6, "2024-02-10", 10.0))
    paths = build_paths(tp, cv, as_of=AS_OF)
    assert not paths["converted"].any()
    assert sorted(zip(paths["contact_id"], paths["channel"])) == [(4, "ads"), (6, "email")]


def test_whole_as_of_day_counts():
    # as_of = Jan 31: a conversion at 15:00 that day counts; one on Feb 1 at 00:00 does not, so
    # contact 2 is a non-converting path ending at midnight (its Jan 2 touch is inside the 30 days,
    # its Jan 1 touch is not).
    tp = touches((1, "a", "2024-01-31 10:00:00"), (2, "b", "2024-01-02 00:00:00"),
                 (2, "c", "2024-01-01 23:00:00"))
    cv = convs((1, "2024-01-31 15:00:00", 1.0), (2, "2024-02-01 00:00:00", 1.0))
    paths = build_paths(tp, cv, as_of=dt.date(2024, 1, 31))
    assert paths[["contact_id", "channel", "converted"]].values.tolist() == [
        [1, "a", True], [2, "b", False]]


# --- Markov -----------------------------------------------------------------------------------
# Paths (the three-path example of S. Bryl, analyzecore.com, 2016):
#   A > B > C > conversion;  A > null;  B > C > null
# Transitions: start->A 2/3, start->B 1/3; A->B 1/2, A->null 1/2; B->C 1; C->conv 1/2, C->null 1/2
# P(conv) = 2/3 * 1/2 * 1 * 1/2 + 1/3 * 1 * 1/2 = 1/6 + 1/6 = 1/3
# Without A: only start->B->C->conv = 1/3 * 1/2 = 1/6  -> removal effect 1 - (1/6)/(1/3) = 1/2
# Without B or without C: no way to convert            -> removal effect 1
# Shares 0.5 : 1 : 1 -> 0.2, 0.4, 0.4 of the single conversion.
def bryl_example():
    tp = touches((1, "A", "2024-01-01"), (1, "B", "2024-01-02"), (1, "C", "2024-01-03"),
                 (2, "A", "2024-01-20"), (3, "B", "2024-01-21"), (3, "C", "2024-01-22"))
    return tp, convs((1, "2024-01-04", 10.0))


def test_markov_hand_computed():
    tp, cv = bryl_example()
    effects = markov_removal_effects(build_paths(tp, cv, as_of=AS_OF))
    assert effects.attrs["p_conversion"] == pytest.approx(1 / 3)
    assert effects.to_dict() == pytest.approx({"A": 0.5, "B": 1.0, "C": 1.0})
    out = attribute(tp, cv, model="markov", as_of=AS_OF)
    assert credit_of(out, 1) == pytest.approx({"A": 0.2, "B": 0.4, "C": 0.4})
    assert out["revenue_credit"].sum() == pytest.approx(10.0)


def test_markov_global_totals_versus_per_conversion_credit():
    # Paths (S. Puzyrov's removal-effect walkthrough, 2019): G > conv twice, M > conv,
    # G > M > conv, G > null.
    # start->G 4/5, start->M 1/5; G->conv 2/4, G->M 1/4, G->null 1/4; M->conv 1.
    # P(conv) = 4/5 * (1/2 + 1/4) + 1/5 = 0.8.  Without G: 1/5 -> RE 1 - 0.2/0.8 = 0.75.
    # Without M: 4/5 * 1/2 = 0.4 -> RE 0.5.  Global (ChannelAttribution) credit of the 4
    # conversions: G 4 * 0.75/1.25 = 2.4, M 1.6.
    # Per conversion: G-only paths give G 1 each, M-only gives M 1, G > M splits 0.75 : 0.5 =
    # 0.6 / 0.4, so G 2.6 and M 1.4.
    tp = touches((1, "G", "2024-01-01"), (2, "G", "2024-01-01"), (3, "M", "2024-01-01"),
                 (4, "G", "2024-01-01"), (4, "M", "2024-01-02"), (5, "G", "2024-01-20"))
    cv = convs(*[(c, "2024-01-05", 1.0) for c in (1, 2, 3, 4)])
    paths = build_paths(tp, cv, as_of=AS_OF)
    assert markov_removal_effects(paths).to_dict() == pytest.approx({"G": 0.75, "M": 0.5})
    assert markov_channel_totals(paths).to_dict() == pytest.approx({"G": 2.4, "M": 1.6})
    out = attribute(tp, cv, model="markov", as_of=AS_OF)
    assert out.groupby("channel")["credit"].sum().to_dict() == pytest.approx({"G": 2.6, "M": 1.4})


def test_markov_accepts_unsorted_paths():
    frame = paths_frame(random_paths(5))
    shuffled = frame.sample(frac=1.0, random_state=0)
    assert markov_removal_effects(shuffled).to_dict() == pytest.approx(
        markov_removal_effects(frame).to_dict())


def reference_removal_effects(paths: list[tuple[list[str], bool]]) -> dict[str, float]:
    """Independent check: dict-built chain, absorption by repeated squaring of the full matrix."""
    counts: dict[tuple[str, str], int] = {}
    for channels, converted in paths:
        states = ["(start)", *channels, "(conv)" if converted else "(null)"]
        for a, b in zip(states, states[1:]):
            counts[a, b] = counts.get((a, b), 0) + 1

    def p_conv(removed: str | None) -> float:
        names = sorted({s for pair in counts for s in pair})
        idx = {s: i for i, s in enumerate(names)}
        m = np.zeros((len(names), len(names)))
        for (a, b), n in counts.items():
            m[idx[a], idx["(null)"] if b == removed else idx[b]] += n
        for s in ("(conv)", "(null)"):
            m[idx[s], :] = 0.0
            m[idx[s], idx[s]] = 1.0
        m = m / m.sum(axis=1, keepdims=True)
        return float(np.linalg.matrix_power(m, 2 ** 14)[idx["(start)"], idx["(conv)"]])

    base = p_conv(None)
    channels = {c for chans, _ in paths for c in chans}
    return {c: 1 - p_conv(c) / base for c in channels}


def random_paths(seed: int, n: int = 400, channels: str = "abcdef"):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        length = int(rng.integers(1, 6))
        out.append(([str(c) for c in rng.choice(list(channels), size=length)],
                    bool(rng.random() < 0.3)))
    return out


def paths_frame(paths):
    rows = [(i, ch, pos, conv) for i, (chans, conv) in enumerate(paths)
            for pos, ch in enumerate(chans)]
    frame = pd.DataFrame(rows, columns=["path_id", "channel", "occurred_at", "converted"])
    frame["occurred_at"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["occurred_at"], "h")
    return frame


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_markov_matches_independent_implementation(seed):
    paths = random_paths(seed)
    got = markov_removal_effects(paths_frame(paths)).to_dict()
    want = reference_removal_effects(paths)
    assert got.keys() == want.keys()
    for c in want:
        assert got[c] == pytest.approx(want[c], abs=1e-9)


def test_markov_exact_with_fractions():
    # A -> B self-loop example solved by hand in fractions:
    # paths: A A B conv, A null, B conv. start->A 2/3, start->B 1/3; A->A 1/3, A->B 1/3,
    # A->null 1/3 => from A: x_A = (1/3 x_A + 1/3 x_B) => x_A = x_B / 2; B->conv 1 => x_B = 1.
    # P(conv) = 2/3 * 1/2 + 1/3 = 2/3.  Without A: 1/3 -> 1/2.  Without B: 0 -> 1.
    paths = [(["A", "A", "B"], True), (["A"], False), (["B"], True)]
    got = markov_removal_effects(paths_frame(paths))
    assert got.attrs["p_conversion"] == pytest.approx(float(Fraction(2, 3)))
    assert got.to_dict() == pytest.approx({"A": 0.5, "B": 1.0})


def test_markov_repeats_kept_equals_collapsed():
    # Keeping consecutive repeats (self-loops) or collapsing them gives the same absorption
    # probabilities in a first-order chain, so the choice cannot change any credit.
    paths = random_paths(7)
    collapsed = [([c for i, c in enumerate(ch) if i == 0 or ch[i - 1] != c], conv)
                 for ch, conv in paths]
    kept = markov_removal_effects(paths_frame(paths))
    merged = markov_removal_effects(paths_frame(collapsed))
    assert kept.attrs["p_conversion"] == pytest.approx(merged.attrs["p_conversion"])
    assert kept.to_dict() == pytest.approx(merged.sort_index().reindex(kept.index).to_dict())


def test_markov_irrelevant_channel_gets_zero():
    # "x" only appears on paths that never convert: removing it changes nothing.
    tp, cv = bryl_example()
    tp = pd.concat([tp, touches((7, "x", "2024-01-25"), (8, "A", "2024-01-25"),
                                (8, "x", "2024-01-26"))], ignore_index=True)
    effects = markov_removal_effects(build_paths(tp, cv, as_of=AS_OF))
    assert effects["x"] == pytest.approx(0.0, abs=1e-12)
    out = attribute(tp, cv, model="markov", as_of=AS_OF)
    assert "x" not in set(out["channel"])


def synthetic(seed=0, n=300):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01")
    m = n * 3
    tp = pd.DataFrame({
        "contact_id": rng.integers(0, n, m).astype("int64"),
        "channel": rng.choice(["search", "email", "social", "ads", "referral"], m).astype(object),
        "occurred_at": start + pd.to_timedelta(rng.integers(0, 90 * 24, m), "h")})
    buyers = rng.choice(n, n // 3, replace=False)
    cv = pd.DataFrame({
        "contact_id": buyers.astype("int64"),
        "converted_at": start + pd.to_timedelta(rng.integers(10 * 24, 95 * 24, len(buyers)), "h"),
        "revenue": rng.gamma(2.0, 50.0, len(buyers))})
    return tp, cv


@pytest.mark.parametrize("model", list(ATTRIBUTION_MODELS))
def test_credits_sum_to_conversions(model):
    tp, cv = synthetic()
    out = attribute(tp, cv, model=model)
    per_conversion = out.groupby(["contact_id", "converted_at"])["credit"].sum()
    assert per_conversion.to_numpy() == pytest.approx(1.0)
    assert out["credit"].sum() == pytest.approx(len(cv))
    assert out["revenue_credit"].sum() == pytest.approx(cv["revenue"].sum())
    assert (out["credit"] > 0).all()


def test_compute_attribution_long_frame():
    tp, cv = synthetic(seed=3)
    out = compute_attribution(tp, cv, grain="month")
    assert list(out.columns) == VALUE_COLUMNS
    assert out["value"].notna().all()
    assert set(out["dimension"]) == {"channel"}
    assert all(isinstance(p, dt.date) and p.day == 1 for p in out["period"])
    expected_keys = {f"{b}.{m}" for b in ("attributed_conversions", "attributed_revenue")
                     for m in ATTRIBUTION_MODELS}
    assert set(out["key"]) == expected_keys
    months = cv["converted_at"].dt.to_period("M").dt.start_time.dt.date.value_counts()
    for model in ATTRIBUTION_MODELS:
        conv = out[out["key"] == f"attributed_conversions.{model}"]
        assert conv.groupby("period")["value"].sum().to_dict() == pytest.approx(months.to_dict())
        rev = out[out["key"] == f"attributed_revenue.{model}"]["value"].sum()
        assert rev == pytest.approx(cv["revenue"].sum())


def test_compute_attribution_week_grain_and_empty():
    tp, cv = bryl_example()
    out = compute_attribution(tp, cv, grain="week", as_of=AS_OF, models=["first_touch"])
    assert out["period"].tolist() == [dt.date(2024, 1, 1)] * 2  # Thursday Jan 4 -> Monday Jan 1
    empty = compute_attribution(tp, convs(), as_of=AS_OF)
    assert list(empty.columns) == VALUE_COLUMNS and empty.empty


def test_keys_registered():
    for model in ATTRIBUTION_MODELS:
        assert REGISTRY[f"attributed_conversions.{model}"].unit == "count"
        assert REGISTRY[f"attributed_revenue.{model}"].unit == "currency"
        assert REGISTRY[f"attributed_revenue.{model}"].direction == "up"
        assert REGISTRY[f"attributed_revenue.{model}"].family == "attribution"
