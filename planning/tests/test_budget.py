"""The budget proposal, with numbers worked out by hand."""

import pytest

from planning.budget import ChannelNumbers as C
from planning.budget import marginal_cac, propose_split


def _by_key(moves):
    return {m.key: m for m in moves}


def test_cuts_pay_for_raises_and_are_scaled_when_they_free_too_much():
    # A LTV:CAC 6 → +20 % (200), B 3.5 → +10 % (100): wanted 300.
    # C 0.8 → −20 % (400), D 2 → −10 % (100): freed 500 > 300, cuts scaled by 300/500 = 0.6:
    # C −240 → 1760, D −60 → 940. Total stays 5000.
    moves = _by_key(propose_split([
        C("a", "A", 1000, ltv_cac=6), C("b", "B", 1000, ltv_cac=3.5),
        C("c", "C", 2000, ltv_cac=0.8), C("d", "D", 1000, ltv_cac=2)]))
    assert moves["a"].proposed == 1200 and moves["a"].rule == "grow_big"
    assert moves["b"].proposed == 1100 and moves["b"].rule == "grow"
    assert moves["c"].proposed == 1760 and moves["c"].step == pytest.approx(-0.12)
    assert moves["d"].proposed == 940 and moves["d"].step == pytest.approx(-0.06)
    assert sum(m.proposed for m in moves.values()) == 5000


def test_raises_are_scaled_when_cuts_free_too_little():
    # A 2000 LTV:CAC 8 wants +400, B 1000 ROAS 0.5 (no LTV:CAC) frees 200:
    # raises scaled by 200/400: A +200 → 2200 (+10 %), B 800 (−20 %).
    moves = _by_key(propose_split([C("a", "A", 2000, ltv_cac=8), C("b", "B", 1000, roas=0.5)]))
    assert moves["a"].proposed == 2200 and moves["a"].step == pytest.approx(0.1)
    assert moves["b"].proposed == 800 and moves["b"].judged_by == "roas"


def test_floor_limits_a_cut():
    # total 10000, floor 5 % = 500. B spends 550 with LTV:CAC 0.5 (wants −20 % = 440):
    # the floor allows only −50 (to 500). A (LTV:CAC 4, +10 % = 945 wanted) gets the 50.
    moves = _by_key(propose_split([C("a", "A", 9450, ltv_cac=4), C("b", "B", 550, ltv_cac=0.5)]))
    assert moves["b"].proposed == 500
    assert moves["a"].proposed == 9500


def test_nothing_moves_without_a_channel_to_grow():
    # B spent 1000 and bought no customer (cut by 20 %), A is below healthy (cut by 10 %):
    # nobody is healthy enough to take the money, so both hold.
    moves = _by_key(propose_split([C("a", "A", 1000, ltv_cac=2),
                                   C("b", "B", 1000, customers=0), C("z", "Z", 500)]))
    assert moves["a"].proposed == 1000 and moves["a"].rule == "hold"
    assert moves["b"].proposed == 1000 and moves["b"].judged_by == "no_customers"
    assert moves["z"].rule == "no_data" and moves["z"].proposed == 500


def test_spend_without_customers_pays_for_a_healthy_channel():
    # B: 500 spent, 0 customers → −20 % frees 100; A (LTV:CAC 3.2) wants +10 % of 2000 = 200:
    # raises scaled by 100/200 → A 2100, B 400.
    moves = _by_key(propose_split([C("a", "A", 2000, customers=20, ltv_cac=3.2),
                                   C("b", "B", 500, customers=0)]))
    assert (moves["a"].proposed, moves["b"].proposed) == (2100, 400)


def test_a_new_total_is_split_in_the_same_proportions_before_the_steps():
    # total 6000 over 1000/2000 (×2): bases 2000 and 4000; A LTV:CAC 5 wants +400,
    # B LTV:CAC 0.9 frees 800 → cuts scaled by 0.5: B 3600, A 2400.
    moves = _by_key(propose_split([C("a", "A", 1000, ltv_cac=5), C("b", "B", 2000, ltv_cac=0.9)],
                                  total=6000))
    assert (moves["a"].proposed, moves["b"].proposed) == (2400, 3600)


def test_marginal_cac_judges_before_the_average():
    # CAC 100 on average but the month's extra 10 customers cost 3000/10 = 300;
    # LTV 600 / 300 = 2 → cut, although LTV:CAC is 6.
    assert marginal_cac(9000, 90, 6000, 80) == 300
    assert marginal_cac(5000, 90, 6000, 80) is None
    moves = _by_key(propose_split([
        C("a", "A", 9000, ltv=600, ltv_cac=6, marginal_cac=300),
        C("b", "B", 1000, ltv_cac=6)]))
    assert moves["a"].rule == "cut" and moves["a"].judged_by == "marginal_ltv_cac"
    assert moves["a"].ratio == 2
    # A frees 900 (−10 %), B wants 200 (+20 %): A's cut scaled to 200 → 8800, B 1200
    assert (moves["a"].proposed, moves["b"].proposed) == (8800, 1200)


def test_bad_steps_are_refused():
    with pytest.raises(ValueError):
        propose_split([], max_step=0.05, min_step=0.1)
