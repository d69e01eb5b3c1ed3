"""Experiment statistics (experiments/stats): hand-computed values, scipy/statsmodels, gbstats.

gbstats cannot be installed next to this project (gbstats 0.8.0 on PyPI pins numpy<2 and
pandas<2), so the "gbstats" numbers below come from two places, both named at each test:
  * gbstats' own test suite (packages/stats/tests/*, growthbook/growthbook @ 8f1db445), and
  * gbstats run from that same commit's source in a scratch virtualenv with this script
    (inputs are the same deterministic data the tests build):

        from gbstats.frequentist.tests import TwoSidedTTest, FrequentistConfig, \
            SequentialTwoSidedTTest, SequentialConfig
        from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
        from gbstats.models.statistics import SampleMeanStatistic, ProportionStatistic, \
            RegressionAdjustedStatistic
        from gbstats.utils import check_srm
        ... TwoSidedTTest([(a, b)], FrequentistConfig(difference_type=...)).compute_result()

No Django here: these are pure functions.
"""

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from experiments.stats import (
    END_DATE_REACHED,
    NO_PLAN,
    SAMPLE_REACHED,
    SEQUENTIAL_CROSSED,
    SRM_UNACKNOWLEDGED,
    TOO_EARLY,
    SampleStats,
    adjust_pvalues,
    analyse_many,
    bayesian,
    can_decide,
    cumulative_effect,
    cuped,
    cuped_from_sums,
    expected_duration_days,
    frequentist,
    mean_stats,
    proportion_stats,
    required_sample_size,
    sequential,
    srm,
    srm_many,
)

approx = pytest.approx

# gbstats' TestTwoSidedTTest fixture (mean metric)
GB_A = SampleStats(n=3407, sum=1396.87, sum_sq=52377.9767)
GB_B = SampleStats(n=3461, sum=2422.7, sum_sq=134698.29)


# ----------------------------------------------------------------------------------------
# frequentist: proportions


def test_two_proportion_z_test_by_hand_and_statsmodels():
    c, t = proportion_stats(1000, 100), proportion_stats(1000, 130)
    r = frequentist(c, t, relative=False)
    # By hand: d = 0.13 - 0.10 = 0.03.
    # pooled p = 230/2000 = 0.115; SE_pool = sqrt(0.115*0.885*(1/1000+1/1000)) = 0.0142673
    # z = 0.03 / 0.0142673 = 2.10274; p = 2*(1 - Phi(2.10274)) = 0.035488
    # unpooled SE = sqrt(0.1*0.9/1000 + 0.13*0.87/1000) = sqrt(0.0002031) = 0.0142513
    # CI = 0.03 -+ 1.959964*0.0142513 = [0.002068, 0.057932]
    assert r.test == "z" and r.dof == math.inf
    assert r.effect == approx(0.03)
    assert r.z_or_t == approx(2.10274, abs=1e-5)
    assert r.p_value == approx(0.035488, abs=1e-6)
    assert (r.ci_low, r.ci_high) == approx((0.002068, 0.057932), abs=1e-6)
    assert r.significant is True
    # statsmodels: pooled z-test and the Wald interval of the difference
    z, p = proportions_ztest([130, 100], [1000, 1000])
    lo, hi = confint_proportions_2indep(130, 1000, 100, 1000, method="wald", compare="diff")
    assert r.z_or_t == approx(z, rel=1e-12) and r.p_value == approx(p, rel=1e-10)
    assert (r.ci_low, r.ci_high) == approx((lo, hi), rel=1e-10)


def test_relative_effect_delta_method_by_hand():
    c, t = proportion_stats(1000, 100), proportion_stats(1000, 130)
    r = frequentist(c, t)  # relative=True is the default
    # By hand: r = 0.03/0.10 = 0.3
    # Var(r) = v_t/(n_t m_c^2) + v_c m_t^2/(n_c m_c^4)
    #        = 0.1131/(1000*0.01) + 0.09*0.0169/(1000*0.0001) = 0.01131 + 0.01521 = 0.02652
    # SE = 0.162850; CI = 0.3 -+ 1.959964*0.162850 = [-0.019179, 0.619179]; z = 1.84219, p = 0.06545
    assert r.effect == approx(0.3)
    assert r.se == approx(math.sqrt(0.02652), rel=1e-9)
    assert (r.ci_low, r.ci_high) == approx((-0.019179, 0.619179), abs=1e-6)
    assert r.p_value == approx(0.065447, abs=1e-6)
    # The relative CI contains 0, so the headline is "not significant" -- consistent with the CI,
    # although the absolute pooled z-test of the same data has p = 0.035.
    assert r.significant is False
    assert r.abs_p_value == approx(0.035488, abs=1e-6)
    assert r.relative_ci == (r.ci_low, r.ci_high)


def test_gbstats_binomial_t_test_matches_its_own_suite():
    # gbstats tests/frequentist/test_tests.py::test_two_sided_ttest_binom (14/28 vs 16/30):
    # expected=0.06667, ci=(-0.47767, 0.61101), stddev=0.2717, pValue=0.80707
    r = frequentist(proportion_stats(28, 14), proportion_stats(30, 16), test="t")
    assert r.effect == approx(0.06667, abs=1e-5)
    assert (r.ci_low, r.ci_high) == approx((-0.47767, 0.61101), abs=1e-5)
    assert r.se == approx(0.2717, abs=1e-5)
    assert r.p_value == approx(0.80707, abs=1e-5)


def test_gbstats_proportion_relative_from_source():
    # gbstats @8f1db445 TwoSidedTTest, ProportionStatistic(480, 10000) vs (560, 10000), relative
    r = frequentist(proportion_stats(10000, 480), proportion_stats(10000, 560), test="t")
    assert r.effect == approx(0.16666666666666666, rel=1e-12)
    assert (r.ci_low, r.ci_high) == approx((0.028151292347276785, 0.3051820409860565), rel=1e-9)
    assert r.p_value == approx(0.018361422110797943, rel=1e-8)
    assert r.se == approx(0.07066810795175912, rel=1e-12)


# ----------------------------------------------------------------------------------------
# frequentist: means (Welch)


def test_welch_by_hand_and_scipy():
    a, b = [1, 2, 3, 4], [2, 4, 6, 8, 10]
    r = frequentist(mean_stats(a), mean_stats(b), relative=False)
    # By hand: means 2.5 and 6; variances 5/3 and 10.
    # SE^2 = (5/3)/4 + 10/5 = 0.416667 + 2 = 2.416667; SE = 1.554563; t = 3.5/1.554563 = 2.251436
    # dof = 2.416667^2 / (0.416667^2/3 + 2^2/4) = 5.840278/1.057870 = 5.520788
    assert r.test == "t"
    assert r.effect == approx(3.5)
    assert r.se == approx(1.554563, abs=1e-6)
    assert r.z_or_t == approx(2.251436, abs=1e-6)
    assert r.dof == approx(5.520788, abs=1e-6)
    ref = sps.ttest_ind(b, a, equal_var=False)
    assert r.z_or_t == approx(ref.statistic, rel=1e-12)
    assert r.p_value == approx(ref.pvalue, rel=1e-10)
    ci = ref.confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == approx((ci.low, ci.high), rel=1e-10)


def test_welch_from_sums_matches_scipy_from_stats():
    rng = np.random.default_rng(7)
    x, y = rng.gamma(2.0, 10.0, 800), rng.gamma(2.2, 10.0, 760)
    r = frequentist(mean_stats(x), mean_stats(y), relative=False)
    ref = sps.ttest_ind_from_stats(y.mean(), y.std(ddof=1), y.size, x.mean(), x.std(ddof=1), x.size, equal_var=False)
    assert r.z_or_t == approx(ref.statistic, rel=1e-9)
    assert r.p_value == approx(ref.pvalue, rel=1e-8)


def test_gbstats_mean_metric_relative_and_absolute():
    # gbstats tests/frequentist/test_tests.py::test_two_sided_ttest(_absolute)
    r = frequentist(GB_A, GB_B)
    assert r.effect == approx(0.70732, abs=1e-5)
    assert (r.ci_low, r.ci_high) == approx((-0.03526, 1.44989), abs=1e-5)
    assert r.se == approx(0.37879, abs=1e-5)
    assert r.p_value == approx(0.06191, abs=1e-5)
    a = frequentist(GB_A, GB_B, relative=False)
    assert a.effect == approx(0.29, abs=1e-12)
    assert (a.ci_low, a.ci_high) == approx((0.04538, 0.53462), abs=1e-5)
    assert a.se == approx(0.12478, abs=1e-5)
    assert a.p_value == approx(0.02016, abs=1e-5)


# ----------------------------------------------------------------------------------------
# edge cases: NaN / not significant, never an exception


def test_edge_cases_return_nan_not_errors():
    # n = 0 in a variant
    r = frequentist(proportion_stats(0, 0), proportion_stats(100, 10))
    assert math.isnan(r.effect) and math.isnan(r.p_value) and r.significant is False
    # zero conversions in both arms: difference 0 but nothing to test
    r = frequentist(proportion_stats(500, 0), proportion_stats(500, 0), relative=False)
    assert r.effect == 0 and math.isnan(r.p_value) and math.isnan(r.ci_low) and r.significant is False
    # zero conversions in control only: absolute test works, relative is undefined
    r = frequentist(proportion_stats(500, 0), proportion_stats(500, 10))
    assert math.isnan(r.effect) and r.abs_p_value < 0.01 and r.significant is False
    # identical variants
    r = frequentist(proportion_stats(1000, 100), proportion_stats(1000, 100))
    assert r.effect == 0 and r.p_value == approx(1.0) and r.significant is False
    # variance 0 for a mean metric
    r = frequentist(mean_stats([5, 5, 5]), mean_stats([5, 5, 5, 5]))
    assert math.isnan(r.p_value) and math.isnan(r.ci_low) and r.significant is False
    # a single unit: no sample variance
    r = frequentist(mean_stats([3.0]), mean_stats([1.0, 2.0, 4.0]))
    assert math.isnan(r.p_value)
    b = bayesian(proportion_stats(0, 0), proportion_stats(0, 0))
    assert math.isnan(b.chance_to_win) and math.isnan(b.uplift_mean)
    s = sequential(proportion_stats(0, 0), proportion_stats(10, 1))
    assert math.isnan(s.ci_low) and s.crossed is False


def test_test_choice_validated():
    with pytest.raises(ValueError):
        frequentist(proportion_stats(10, 1), proportion_stats(10, 2), test="anova")


def test_arrays_analyse_many_experiments_in_one_call():
    c = proportion_stats(np.array([1000.0, 28.0]), np.array([100.0, 14.0]))
    t = proportion_stats(np.array([1000.0, 30.0]), np.array([130.0, 16.0]))
    r = frequentist(c, t)
    assert r.effect.shape == (2,)
    assert r.effect[0] == approx(0.3) and r.effect[1] == approx(0.06667, abs=1e-5)
    assert list(r.test) == ["z", "z"]


# ----------------------------------------------------------------------------------------
# Bayesian


def test_bayesian_binomial_gbstats_suite_and_by_hand():
    r = bayesian(proportion_stats(100, 49), proportion_stats(100, 51))
    # By hand: r = 0.02/0.49 = 0.040816; v_c = v_t = 0.2499
    # Var = 0.2499/(100*0.2401) + 0.2499*0.2601/(100*0.49^4) = 0.0104082 + 0.0112752 = 0.0216834
    # sigma = 0.147253; P(win) = Phi(0.040816/0.147253) = Phi(0.27718) = 0.60918
    # loss(control) = mu Phi(z) + sigma phi(z) = 0.040816*0.60918 + 0.147253*0.38389 = 0.08140
    # loss(treatment) = sigma phi(z) - mu Phi(-z) = 0.05653 - 0.040816*0.39082 = 0.04058
    # gbstats tests/bayesian/test_tests.py::test_bayesian_binomial_ab_test: expected=0.04082,
    # ci=(-0.24779, 0.32943), stddev=0.14725, chanceToWin=0.60918, risk=[0.0814, 0.04058]
    assert r.uplift_mean == approx(0.04082, abs=1e-5)
    assert r.uplift_std == approx(0.14725, abs=1e-5)
    assert r.chance_to_win == approx(0.60918, abs=1e-5)
    assert (r.ci_low, r.ci_high) == approx((-0.24779, 0.32943), abs=1e-5)
    assert r.risk == approx((0.0814, 0.04058), abs=1e-5)


def test_bayesian_mean_flat_and_informative_prior_gbstats_suite():
    a, b = SampleStats(10, 100, 1002.25), SampleStats(10, 105, 1111.5)
    # gbstats TestNorm::test_bayesian_gaussian_ab_test
    r = bayesian(a, b)
    assert r.uplift_mean == approx(0.05, abs=1e-9)
    assert r.uplift_std == approx(0.03572, abs=1e-5)
    assert r.chance_to_win == approx(0.91923, abs=1e-5)
    assert (r.ci_low, r.ci_high) == approx((-0.02, 0.12), abs=1e-5)
    assert r.risk == approx((0.05131, 0.00131), abs=1e-5)
    # ...::test_bayesian_gaussian_ab_test_informative, prior N(0.1, 0.1)
    # By hand: data N(0.05, 0.0357159^2); precision = 1/0.00127562 + 1/0.1 = 783.93 + 10 = 793.93
    # mean = (0.05*783.93 + 0.1*10)/793.93 = 0.050630; sd = 1/sqrt(793.93) = 0.035490
    r = bayesian(a, b, prior_mean=0.1, prior_var=0.1)
    assert r.uplift_mean == approx(0.05063, abs=1e-5)
    assert r.uplift_std == approx(0.03549, abs=1e-5)
    assert r.chance_to_win == approx(0.92315, abs=1e-5)
    assert (r.ci_low, r.ci_high) == approx((-0.01893, 0.12019), abs=1e-5)
    assert r.risk == approx((0.05186, 0.00123), abs=1e-5)


def test_bayesian_from_gbstats_source():
    # gbstats @8f1db445 EffectBayesianABTest
    r = bayesian(GB_A, GB_B, relative=False)
    assert r.chance_to_win == approx(0.9899378629114759, rel=1e-10)
    assert (r.ci_low, r.ci_high) == approx((0.04542857622821295, 0.5345714237717869), rel=1e-10)
    assert r.risk == approx((0.29042576009971915, 0.00042576009971911975), rel=1e-8)
    pa, pb = proportion_stats(10000, 480), proportion_stats(10000, 560)
    r = bayesian(pa, pb)
    assert r.chance_to_win == approx(0.9908240978087114, rel=1e-10)
    assert r.risk == approx((0.1668844027238231, 0.00021773605715645684), rel=1e-8)
    # GrowthBook's proper prior default: mean 0, sd 0.1 (variance 0.01)
    r = bayesian(pa, pb, prior_mean=0, prior_var=0.01)
    assert r.uplift_mean == approx(0.11115571062463332, rel=1e-10)
    assert r.uplift_std == approx(0.05771184767898182, rel=1e-10)
    assert r.chance_to_win == approx(0.972950725117383, rel=1e-10)
    assert r.risk == approx((0.11175177445672317, 0.0005960638320898504), rel=1e-8)


def test_bayesian_expected_loss_matches_numerical_integration():
    # E[max(X,0)] and E[max(-X,0)] of N(mu, sigma^2), integrated with scipy
    r = bayesian(proportion_stats(5000, 400), proportion_stats(5000, 380))
    mu, s = r.uplift_mean, r.uplift_std
    lc = sps.norm(mu, s).expect(lambda x: max(x, 0.0))
    lt = sps.norm(mu, s).expect(lambda x: max(-x, 0.0))
    assert r.expected_loss_control == approx(lc, rel=1e-6)
    assert r.expected_loss_treatment == approx(lt, rel=1e-6)
    assert r.chance_to_win < 0.5  # the treatment converts worse


def test_bayesian_far_tail_is_finite():
    r = bayesian(proportion_stats(10**6, 10**5), proportion_stats(10**6, 2 * 10**5))
    assert r.chance_to_win == 1.0
    assert r.expected_loss_treatment == 0.0
    assert r.expected_loss_control == approx(r.uplift_mean)


# ----------------------------------------------------------------------------------------
# sequential


def test_sequential_by_hand_and_gbstats():
    pa, pb = proportion_stats(10000, 480), proportion_stats(10000, 560)
    r = sequential(pa, pb)
    # By hand (alpha 0.05, tuning 5000): rho^2 = (5.991465 + ln 6.991465)/5000 = 7.936156/5000
    # rho = 0.0398401; N = 20000, N rho^2 = 31.7446; s2 = 0.0706681^2 * 20000 = 99.880
    # halfwidth = sqrt(99.880) * sqrt(2*32.7446/(20000*0.0398401)^2 * ln(sqrt(32.7446)/0.05))
    #           = 9.99400 * sqrt(1.03151e-4 * 4.74013) = 0.220987
    assert r.rho == approx(0.0398401, abs=1e-7)
    assert r.halfwidth == approx(0.220987, abs=1e-5)
    # gbstats @8f1db445 SequentialTwoSidedTTest
    assert (r.ci_low, r.ci_high) == approx((-0.054320573216949025, 0.3876539065502823), rel=1e-9)
    assert r.p_value == approx(0.38603690736403456, rel=1e-8)
    assert r.crossed is False
    # the fixed-horizon test of the same data is significant: peeking would have called it
    assert frequentist(pa, pb).significant is True


def test_sequential_gbstats_suite():
    # gbstats test_sequential_test_runs (tuning 1000) and test_sequential_test_runs_prop
    r = sequential(SampleStats(3000, 1396.87, 52377.9767), GB_B, tuning=1000)
    assert (r.ci_low, r.ci_high) == approx((-0.55844, 1.56516), abs=1e-5)
    assert r.p_value == 1
    r = sequential(proportion_stats(3000, 1396), proportion_stats(3461, 2422))
    assert r.effect == approx(0.50386, abs=1e-5)
    assert (r.ci_low, r.ci_high) == approx((0.40098, 0.60675), abs=1e-5)
    assert r.crossed is True and r.p_value < 1e-10
    # absolute, from source
    r = sequential(GB_A, GB_B, relative=False)
    assert (r.ci_low, r.ci_high) == approx((-0.0894100955383455, 0.6694100955383455), rel=1e-9)
    assert r.p_value == approx(0.290744559185973, rel=1e-8)


def test_sequential_interval_is_wider_than_fixed_and_shrinks():
    c, t = proportion_stats(4000, 400), proportion_stats(4000, 460)
    s, f = sequential(c, t), frequentist(c, t)
    assert s.ci_low < f.ci_low and s.ci_high > f.ci_high
    s4 = sequential(proportion_stats(16000, 1600), proportion_stats(16000, 1840))
    assert (s4.ci_high - s4.ci_low) < (s.ci_high - s.ci_low) / 1.5


def test_sequential_error_rate_under_daily_peeking_is_controlled():
    # A/A simulation: 400 experiments, 20 daily looks each. Peeking at the fixed-horizon p-value
    # inflates false positives far above 5 %; the confidence sequence stays at or below alpha.
    rng = np.random.default_rng(11)
    daily_n, days, reps, p = 500, 20, 400, 0.1
    conv_c = rng.binomial(daily_n, p, size=(reps, days)).cumsum(axis=1).astype(float)
    conv_t = rng.binomial(daily_n, p, size=(reps, days)).cumsum(axis=1).astype(float)
    n = np.broadcast_to(np.arange(1, days + 1) * daily_n, (reps, days)).astype(float)
    c, t = proportion_stats(n, conv_c), proportion_stats(n, conv_t)
    peek_fixed = frequentist(c, t).significant.any(axis=1).mean()
    peek_seq = sequential(c, t).crossed.any(axis=1).mean()
    assert peek_fixed > 0.12
    assert peek_seq <= 0.05


# ----------------------------------------------------------------------------------------
# no early calls


def test_can_decide_reason_codes():
    end = dt.date(2026, 12, 20)
    before, after = dt.date(2026, 12, 10), dt.date(2026, 12, 20)
    assert can_decide(1000, [600, 700], end, before, False) == (False, TOO_EARLY)
    # every variant must reach the planned sample
    assert can_decide(1000, [1200, 999], end, before, False) == (False, TOO_EARLY)
    assert can_decide(1000, [1200, 1000], end, before, False) == (True, SAMPLE_REACHED)
    assert can_decide(1000, 400, end, after, False) == (True, END_DATE_REACHED)
    assert can_decide(1000, 400, end, dt.datetime(2026, 12, 20, 8, 0), False) == (True, END_DATE_REACHED)
    assert can_decide(1000, 400, end, before, True) == (True, SEQUENTIAL_CROSSED)
    assert can_decide(None, 400, None, before, False) == (False, NO_PLAN)
    assert can_decide(None, 400, None, before, True) == (True, SEQUENTIAL_CROSSED)
    # an SRM blocks even a finished test until someone acknowledges it
    assert can_decide(1000, 5000, end, after, True, srm_flagged=True) == (False, SRM_UNACKNOWLEDGED)
    assert can_decide(1000, 5000, end, after, False, srm_flagged=True, srm_acknowledged=True) == (
        True,
        SAMPLE_REACHED,
    )


# ----------------------------------------------------------------------------------------
# sample size and duration


def test_required_sample_size_proportion_by_hand_and_statsmodels():
    # By hand: p1 = 0.10, p2 = 0.12 (+20 % relative), pbar = 0.11, z_a = 1.959964, z_b = 0.841621
    # n = (1.959964*sqrt(2*0.11*0.89) + 0.841621*sqrt(0.09 + 0.1056))^2 / 0.02^2
    #   = (0.867270 + 0.372222)^2 / 0.0004 = 1.536340/0.0004 = 3840.85 -> 3841
    assert required_sample_size(0.10, 0.20) == 3841
    assert required_sample_size(0.10, 0.02, relative=False) == 3841
    ref = samplesize_proportions_2indep_onetail(diff=0.02, prop2=0.10, power=0.8, alpha=0.05)
    assert required_sample_size(0.10, 0.20) == math.ceil(ref)
    # one-sided needs fewer units
    assert required_sample_size(0.10, 0.20, two_sided=False) < 3841
    ref1 = samplesize_proportions_2indep_onetail(0.02, 0.10, 0.8, alpha=0.05, alternative="larger")
    assert required_sample_size(0.10, 0.20, two_sided=False) == math.ceil(ref1)


def test_required_sample_size_mean_by_hand_and_statsmodels():
    # By hand: delta = 0.1*50 = 5, sigma = 10: n = 2*100*(1.959964+0.841621)^2/25 = 62.79 -> 63
    assert required_sample_size(50, 0.1, kind="mean", std=10) == 63
    ref = NormalIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8)
    assert 63 == math.ceil(ref)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(baseline=0.0, mde=0.1),
        dict(baseline=0.95, mde=0.1),  # p2 = 1.045
        dict(baseline=0.1, mde=0.0),
        dict(baseline=0.1, mde=0.1, alpha=0),
        dict(baseline=50, mde=0.1, kind="mean"),  # no std
        dict(baseline=0.1, mde=0.1, kind="median"),
    ],
)
def test_required_sample_size_rejects_impossible_plans(kwargs):
    with pytest.raises(ValueError):
        required_sample_size(**kwargs)


def test_expected_duration_days():
    # 3841 per variant x 2 variants / (2000 visitors a day x 50 % in the test) = 7.682 days
    assert expected_duration_days(3841, 2, 2000, 0.5) == approx(7.682)
    # 20/80 split: the small arm needs 3841/(1000*0.2) = 19.205 days
    assert expected_duration_days(3841, 2, 2000, 0.5, variant_shares=[20, 80]) == approx(19.205)
    assert expected_duration_days(100, 2, 0) == math.inf


# ----------------------------------------------------------------------------------------
# SRM


def test_srm_by_hand_scipy_and_gbstats():
    # By hand: expected 5000 each; chi2 = (0 + 200^2 + 200^2)/5000 = 16; dof 2; p = exp(-16/2)
    r = srm([5000, 5200, 4800], [1, 1, 1])
    assert r.chi2 == approx(16.0) and r.dof == 2
    assert r.p_value == approx(math.exp(-8), rel=1e-12)
    assert r.flagged is True
    ref = sps.chisquare([5000, 5200, 4800], [5000, 5000, 5000])
    assert r.p_value == approx(ref.pvalue, rel=1e-12)
    # gbstats check_srm([1000, 1100], [0.5, 0.5]) = 0.029096331741252267 -- not below 0.001
    r = srm([1000, 1100], [0.5, 0.5])
    assert r.p_value == approx(0.029096331741252267, rel=1e-12) and r.flagged is False
    assert srm([6000, 4000], [0.6, 0.4]).p_value == approx(1.0)


def test_srm_edge_cases():
    r = srm([0, 0], [0.5, 0.5])
    assert math.isnan(r.p_value) and r.flagged is False
    # units in an arm planned at 0 % are a mismatch whatever the rest looks like
    r = srm([500, 500, 3], [0.5, 0.5, 0])
    assert r.p_value == 0.0 and r.flagged is True
    assert srm([500, 500, 0], [0.5, 0.5, 0]).flagged is False


def test_srm_many_matches_single():
    obs = np.array([[5000, 5200, 4800], [1000, 1100, np.nan], [0, 0, np.nan]])
    shares = np.array([[1, 1, 1], [0.5, 0.5, np.nan], [1, 1, np.nan]])
    r = srm_many(obs, shares)
    assert r["p_value"][0] == approx(math.exp(-8))
    assert r["p_value"][1] == approx(srm([1000, 1100], [0.5, 0.5]).p_value)
    assert math.isnan(r["p_value"][2])
    assert list(r["flagged"]) == [True, False, False]


# ----------------------------------------------------------------------------------------
# multiple testing


def test_holm_and_bh_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04;
    # running max 0.02, 0.03, 0.06, 0.06 -> original order [0.03, 0.06, 0.06, 0.02]
    assert adjust_pvalues(p, "holm") == approx([0.03, 0.06, 0.06, 0.02])
    # BH: m/rank: 0.005*4 = 0.02, 0.01*2 = 0.02, 0.03*4/3 = 0.04, 0.04*4/4 = 0.04;
    # running min from the end: 0.02, 0.02, 0.04, 0.04 -> [0.02, 0.04, 0.04, 0.02]
    assert adjust_pvalues(p, "bh") == approx([0.02, 0.04, 0.04, 0.02])


@pytest.mark.parametrize("method,sm", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjust_pvalues_matches_statsmodels(method, sm):
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 1e-3, size=10), [1e-20, 0.5, 0.5]])
    ours = adjust_pvalues(p, method)
    ref = multipletests(p, method=sm)[1]
    assert ours == approx(ref, rel=1e-12, abs=0)
    # families adjusted separately, in one call
    groups = rng.integers(0, 7, size=p.size)
    ours_g = adjust_pvalues(p, method, groups=groups)
    for g in np.unique(groups):
        sel = groups == g
        assert ours_g[sel] == approx(multipletests(p[sel], method=sm)[1], rel=1e-12, abs=0)


def test_adjust_pvalues_nan_left_out():
    r = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    assert math.isnan(r[1])
    assert r[[0, 2]] == approx([0.02, 0.04])
    with pytest.raises(ValueError):
        adjust_pvalues([0.1], "bonferroni-ish")


# ----------------------------------------------------------------------------------------
# CUPED


def _cuped_data(n, treat):
    i = np.arange(n)
    x = ((i * 37) % 101) / 10.0
    y = 2 + 0.8 * x + (((i * 53) % 89) - 44) / 20.0 + (0.3 if treat else 0.0)
    return x, y


def test_cuped_theta_by_hand():
    # x = [0, 2, 1, 3], y = [1, 4, 2, 5]: deviations dx = [-1.5, .5, -.5, 1.5], dy = [-2, 1, -1, 2]
    # theta = sum(dx dy)/sum(dx^2) = 7/5 = 1.4; corr^2 = 49/(5*10) = 0.98
    r = cuped([1, 4, 2, 5], [0, 2, 1, 3], ["a", "a", "b", "b"])
    assert r.theta == approx(1.4)
    assert r.variance_reduction == approx(0.98)
    # adjusted y' = y - 1.4 (x - 1.5) = [3.1, 3.3, 2.7, 2.9]
    assert r["a"].sum == approx(6.4) and r["b"].sum == approx(5.6)
    assert r["a"].sum_sq == approx(3.1**2 + 3.3**2)
    assert list(r) == ["a", "b"]


def test_cuped_matches_gbstats_and_reduces_variance():
    xa, ya = _cuped_data(500, False)
    xb, yb = _cuped_data(520, True)
    labels = np.array(["control"] * 500 + ["B"] * 520)
    r = cuped(np.r_[ya, yb], np.r_[xa, xb], labels, control="control")
    # gbstats @8f1db445 RegressionAdjustedStatistic: theta 0.7949209882872397,
    # absolute 0.30255445815007675, CI (0.14429940885681616, 0.4608095074433374), p 0.0001856757355667149
    assert r.theta == approx(0.7949209882872397, rel=1e-12)
    a = frequentist(r["control"], r["B"], relative=False)
    assert a.effect == approx(0.30255445815007675, rel=1e-12)
    assert (a.ci_low, a.ci_high) == approx((0.14429940885681616, 0.4608095074433374), rel=1e-10)
    assert a.p_value == approx(0.0001856757355667149, rel=1e-8)
    assert a.se == approx(0.08064770755897967, rel=1e-12)
    # relative: same point estimate as gbstats (0.05041969266189336); gbstats' SE 0.013793896 comes
    # from its own CUPED delta formula, ours from the adjusted SampleStats -- within 0.05 %
    rel = frequentist(r["control"], r["B"])
    assert rel.effect == approx(0.05041969266189336, rel=1e-12)
    assert rel.se == approx(0.013793896001045436, rel=5e-4)
    # and much tighter than without CUPED
    raw = frequentist(mean_stats(ya), mean_stats(yb), relative=False)
    assert a.se < 0.6 * raw.se


def test_cuped_from_sums_equals_cuped_from_units():
    xa, ya = _cuped_data(300, False)
    xb, yb = _cuped_data(280, True)
    units = cuped(np.r_[ya, yb], np.r_[xa, xb], np.array([0] * 300 + [1] * 280))
    s = cuped_from_sums(
        [300, 280], [ya.sum(), yb.sum()], [(ya**2).sum(), (yb**2).sum()], [xa.sum(), xb.sum()],
        [(xa**2).sum(), (xb**2).sum()], [(xa * ya).sum(), (xb * yb).sum()],
    )
    assert s["theta"] == approx(units.theta)
    for i in (0, 1):
        assert s["stats"][i].sum == approx(units[i].sum)
        assert s["stats"][i].sum_sq == approx(units[i].sum_sq)
        # each arm's variance is var(y) + theta^2 var(x) - 2 theta cov(x, y), as gbstats
    y, x = (ya, xa)
    th = units.theta
    expect = np.var(y, ddof=1) + th**2 * np.var(x, ddof=1) - 2 * th * np.cov(x, y)[0, 1]
    assert units[0].variance == approx(expect, rel=1e-9)


def test_cuped_constant_pre_is_no_adjustment():
    r = cuped([1.0, 0.0, 1.0, 1.0], [0.1, 0.1, 0.1, 0.1], ["c", "c", "t", "t"])
    assert r.theta == 0.0
    assert r["c"] == SampleStats(2.0, 1.0, 1.0) and r["t"] == SampleStats(2.0, 2.0, 2.0)
    # perfectly explained metric: both arms have zero variance after adjustment -> NaN, no error
    r = cuped([1, 3, 5, 7], [0, 1, 2, 3], ["c", "c", "t", "t"])
    assert r.theta == approx(2.0)
    assert math.isnan(frequentist(r["c"], r["t"]).p_value)


# ----------------------------------------------------------------------------------------
# cumulative effect


def test_cumulative_effect_by_day():
    d1, d2, d3 = dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)
    rows = [
        dict(date=d1, variant="A", n=400, sum=40, sum_sq=40),
        dict(date=d1, variant="B", n=410, sum=50, sum_sq=50),
        dict(date=d2, variant="A", n=300, sum=30, sum_sq=30),
        # B has no row on day 2: counts as zero
        (d3, "A", 300, 30, 30),
        (d3, "B", 590, 80, 80),
        (d3, "C", 999, 999, 999),  # another arm: ignored
    ]
    r = cumulative_effect(rows, "A", "B")
    assert r.dates == [d1, d2, d3]
    assert list(r.n_c) == [400, 700, 1000] and list(r.n_t) == [410, 410, 1000]
    # day 2: A 70/700 = 0.10, B 50/410 = 0.121951 -> relative 0.219512
    assert r.effect[1] == approx(0.0219512 / 0.1, rel=1e-5)
    # the last point is the analysis of all data
    full = frequentist(proportion_stats(1000, 100), proportion_stats(1000, 130))
    assert r.effect[-1] == approx(full.effect)
    assert (r.ci_low[-1], r.ci_high[-1]) == approx((full.ci_low, full.ci_high))
    assert r.seq_ci_low[-1] < r.ci_low[-1]
    rows_out = r.as_rows()
    assert rows_out[0]["date"] == d1 and rows_out[-1]["ci_high"] == approx(full.ci_high)


# ----------------------------------------------------------------------------------------
# analyse_many


def test_analyse_many_equals_row_by_row():
    rng = np.random.default_rng(5)
    k = 60
    nc, nt = rng.integers(50, 5000, k).astype(float), rng.integers(50, 5000, k).astype(float)
    # first half proportions, second half revenue-like means
    half = k // 2
    cc = rng.binomial(nc[:half].astype(int), 0.1).astype(float)
    ct = rng.binomial(nt[:half].astype(int), 0.11).astype(float)
    mc, mt = rng.gamma(2, 10, k - half), rng.gamma(2, 10.5, k - half)
    sc = np.r_[cc, nc[half:] * mc]
    st = np.r_[ct, nt[half:] * mt]
    ssc = np.r_[cc, sc[half:] ** 2 / nc[half:] + (nc[half:] - 1) * 400]
    sst = np.r_[ct, st[half:] ** 2 / nt[half:] + (nt[half:] - 1) * 420]
    # an n = 0 row and a zero-conversion row
    nc[0], sc[0], ssc[0] = 0, 0, 0
    sc[1] = ssc[1] = 0
    groups = np.arange(k) // 6
    r = analyse_many(nc, sc, ssc, nt, st, sst, tuning=5000, correction="holm", groups=groups)
    for i in range(k):
        c, t = SampleStats(nc[i], sc[i], ssc[i]), SampleStats(nt[i], st[i], sst[i])
        f, b, s = frequentist(c, t), bayesian(c, t), sequential(c, t)
        np.testing.assert_allclose(
            [r["relative_effect"][i], r["relative_ci_low"][i], r["p_value"][i], r["abs_p_value"][i]],
            [f.effect, f.ci_low, f.p_value, f.abs_p_value], rtol=1e-12, equal_nan=True,
        )
        assert bool(r["significant"][i]) == f.significant
        np.testing.assert_allclose(
            [r["chance_to_win"][i], r["expected_loss_treatment"][i], r["seq_ci_low"][i]],
            [b.chance_to_win, b.expected_loss_treatment, s.ci_low], rtol=1e-12, equal_nan=True,
        )
    assert np.isnan(r["p_value"][0]) and not r["significant"][0]
    np.testing.assert_allclose(
        r["adjusted_p_value"], adjust_pvalues(r["p_value"], "holm", groups=groups), equal_nan=True
    )
    # proportions get the z-test, means Welch
    assert r["use_z"][:half].all() and not r["use_z"][half:].any()
