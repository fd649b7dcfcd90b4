"""The statistics helpers of the experiments (c2c_sim.stats) on cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from c2c_sim import stats as S


# ---------------------------------------------------------------- differences in means
def test_paired_difference_of_a_constant_shift_is_exact():
    control = np.array([1.0, 4.0, 2.5, 7.0, 3.0])
    e = S.mean_difference(control + 0.25, control, paired=True)
    assert e.estimate == pytest.approx(0.25)
    assert (e.lo, e.hi) == pytest.approx((0.25, 0.25))  # zero-width: every pair differs by the same amount
    assert e.n == 5
    assert e.reference == pytest.approx(control.mean())
    assert e.sign == 1


def test_paired_difference_recovers_a_known_shift():
    rng = np.random.default_rng(0)
    base = rng.normal(10, 3, 40)
    treated = base + 0.5 + rng.normal(0, 0.2, 40)  # large common noise, small pair noise
    e = S.mean_difference(treated, base, paired=True)
    assert e.estimate == pytest.approx((treated - base).mean())
    assert e.lo < 0.5 < e.hi
    assert e.lo > 0  # pairing removes the common noise: the effect is clear
    unpaired = S.mean_difference(treated, base, paired=False)
    assert unpaired.estimate == pytest.approx(e.estimate)
    assert unpaired.hi - unpaired.lo > 5 * (e.hi - e.lo)  # ignoring the pairing loses most of the precision


def test_intervals_are_reproducible():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 30), rng.normal(0.3, 1, 30)
    assert S.mean_difference(b, a, paired=True) == S.mean_difference(b, a, paired=True)
    assert S.bootstrap_mean(a) == S.bootstrap_mean(a)


def test_paired_drops_incomplete_pairs_and_checks_lengths():
    e = S.mean_difference([1.0, np.nan, 3.0], [0.0, 1.0, 2.0], paired=True)
    assert e.n == 2 and e.estimate == pytest.approx(1.0)
    with pytest.raises(ValueError, match="differ in length"):
        S.mean_difference([1.0, 2.0], [1.0], paired=True)
    assert math.isnan(S.mean_difference([], [], paired=True).estimate)


def test_no_difference_is_not_an_effect():
    x = np.array([0.0, 0.0, 0.0, 0.0])
    e = S.mean_difference(x, x, paired=True)
    assert (e.estimate, e.lo, e.hi) == (0.0, 0.0, 0.0)
    assert e.sign == 0
    assert not S.holds(e.about("mutuality")) and not S.holds(e, min_effect=0.0, min_relative=0.0)


def test_bootstrap_interval_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(2024)
    covered = 0
    for _ in range(200):
        e = S.bootstrap_mean(rng.normal(5.0, 2.0, 30), n_resamples=999)
        covered += e.lo < 5.0 < e.hi
    assert 0.88 <= covered / 200 <= 0.99


# ---------------------------------------------------------------- slopes and thresholds
def test_slope_of_exact_lines_is_exact():
    x = np.array([0.0, 0.2, 0.4, 0.8])
    Y = np.tile(2.0 + 3.0 * x, (10, 1))
    e = S.slope(x, Y)
    assert (e.estimate, e.lo, e.hi) == pytest.approx((3.0, 3.0, 3.0))


def test_slope_interval_contains_the_true_slope():
    rng = np.random.default_rng(3)
    x = np.array([1.0, 2.0, 4.0, 8.0])
    Y = -0.5 * x + rng.normal(0, 1.0, (30, 1)) + rng.normal(0, 0.1, (30, 4))  # replication effect + noise
    e = S.slope(x, Y)
    assert e.lo < -0.5 < e.hi
    assert e.hi < 0 and e.n == 30


def test_saturation_level_known_curves():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    curve = np.array([0.0, 5.0, 9.0, 10.0])
    Y = np.tile(curve, (5, 1))
    assert S.saturation_level(x, Y, fraction=0.9).estimate == pytest.approx(4.0)  # 9 >= 0.9 * 10 first at x=4
    assert S.saturation_level(x, Y, fraction=0.5).estimate == pytest.approx(2.0)
    assert S.saturation_level(x, Y, fraction=0.7).estimate == pytest.approx(3.0)  # 7 lies halfway from 5 to 9
    two = np.tile([0.0, 10.0], (5, 1))
    assert S.saturation_level([1.0, 100.0], two, fraction=0.5, log_x=True).estimate == pytest.approx(10.0)
    flat = np.tile([3.0, 2.0, 1.0, 0.0], (5, 1))
    assert S.saturation_level(x, flat).estimate == pytest.approx(1.0)  # never rises: at the first level


def test_saturation_level_interval_brackets_the_noisy_threshold():
    rng = np.random.default_rng(4)
    x = np.array([3.0, 6.0, 12.0, 24.0, 48.0])
    Y = np.array([0.0, 4.0, 8.0, 10.0, 10.0]) + rng.normal(0, 0.3, (40, 5))
    e = S.saturation_level(x, Y, fraction=0.9, log_x=True)
    assert 12.0 <= e.estimate <= 24.0
    assert e.lo <= e.estimate <= e.hi
    assert e.method == "percentile"


def test_first_level_holding():
    es = [S.Estimate(0.1, -0.1, 0.3, 10, outcome="mutuality"), S.Estimate(0.5, 0.2, 0.8, 10, outcome="mutuality"),
          S.Estimate(0.9, 0.6, 1.2, 10, outcome="mutuality")]
    assert S.first_level_holding([6, 12, 24], es) == 12
    assert S.first_level_holding([6, 12, 24], es, expected=-1) is None


# ---------------------------------------------------------------- tidy-table helpers
def _cells():
    rows = []
    for rep in range(8):
        for dose in (0, 1, 2):
            rows.append({"replication": rep, "dose": dose, "group": "a", "y": rep + 2.0 * dose})
    return pd.DataFrame(rows)


def test_contrast_pairs_on_replications():
    df = _cells().sample(frac=1.0, random_state=1)  # order must not matter
    e = S.contrast(df, "y", {"dose": 2}, {"dose": 0})
    assert (e.estimate, e.lo, e.hi) == pytest.approx((4.0, 4.0, 4.0))
    assert e.n == 8


def test_contrast_refuses_ambiguous_or_empty_cells():
    df = _cells()
    with pytest.raises(ValueError, match="several rows"):
        S.contrast(df, "y", {"group": "a"}, {"dose": 0})
    with pytest.raises(ValueError, match="no rows"):
        S.contrast(df, "y", {"dose": 9}, {"dose": 0})


def test_cell_means_and_curve_matrix():
    df = _cells()
    cm = S.cell_means(df, ["dose"], ["y"])
    assert list(cm["mean"]) == pytest.approx([3.5, 5.5, 7.5])
    assert (cm["lo"] <= cm["mean"]).all() and (cm["mean"] <= cm["hi"]).all()
    x, Y = S.curve_matrix(df, "dose", "y")
    assert list(x) == [0, 1, 2] and Y.shape == (8, 3)
    assert S.slope(x, Y).estimate == pytest.approx(2.0)


# ---------------------------------------------------------------- survival
def test_kaplan_meier_hand_example():
    # stalls at 1 and 2, censored at 2, stall at 3, censored at 5
    km = S.kaplan_meier([1, 2, 2, 3, 5], [True, True, False, True, False])
    assert list(km["time"]) == [0, 1, 2, 3]
    assert list(km["survival"]) == pytest.approx([1.0, 0.8, 0.6, 0.3])
    assert list(km["at_risk"]) == [5, 5, 4, 2]
    assert ((km["lo"] <= km["survival"]) & (km["survival"] <= km["hi"])).all()


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    d = np.array([2, 4, 4, 7, 9, 9, 9, 12])
    km = S.kaplan_meier(d, np.ones(d.size, bool))
    for t, s in zip(km["time"], km["survival"]):
        assert s == pytest.approx(np.mean(d > t))


def test_restricted_mean_survival():
    d = np.array([1, 2, 3, 4])
    assert S.restricted_mean_survival(d, np.ones(4, bool), 3) == pytest.approx(np.mean(np.minimum(d, 3)))
    # 2 (event), 3 (censored), 4 (event): S = 1 until 2, 2/3 until 4, then 0
    assert S.restricted_mean_survival([2, 3, 4], [True, False, True], 5) == pytest.approx(2 + 2 / 3 * 2)
    assert S.restricted_mean_survival([5, 6], [False, False], 4) == pytest.approx(4.0)
    assert math.isnan(S.restricted_mean_survival([], [], 4))


# ---------------------------------------------------------------- verdicts
def E(lo, hi, outcome="mutuality"):
    """A hand-made effect on a share (bar 0.02) with its interval."""
    return S.Estimate((lo + hi) / 2, lo, hi, 30, outcome=outcome)


def test_verdict_words():
    v = S.verdict("X raises Y", {"a": E(0.1, 0.3), "b": E(0.2, 0.5)})
    assert v.word == "supported" and v.supported and v.line.startswith("X raises Y: supported")
    v = S.verdict("X raises Y", {"a": E(-0.3, -0.1), "b": E(-0.1, 0.2)})
    assert v.word == "not supported"
    assert "opposite effect for a" in v.line and "no clear effect for b" in v.line
    v = S.verdict("X raises Y", {"low": E(0.1, 0.3), "high": E(-0.1, 0.2)}, moderator="openness")
    assert v.word == "depends on openness"
    assert "holds for low, not for high" in v.line
    v = S.verdict("X raises Y", {"a": E(0.1, 0.3)}, assumed="the switch deletes the channel")
    assert v.word == "assumed, not tested" and not v.tested and "deletes the channel" in v.line


def test_verdict_direction_and_minimum_effect():
    assert S.verdict("cut lowers", {"a": E(-0.3, -0.1)}, expected=-1).word == "supported"
    assert S.verdict("cut lowers", {"a": E(0.1, 0.3)}, expected=-1).word == "not supported"
    assert S.verdict("tiny", {"a": E(0.01, 0.02)}, min_effect=0.05).word == "not supported"
    nan = S.Estimate(math.nan, math.nan, math.nan, 0, outcome="mutuality")
    assert S.verdict("no data", {"a": nan}).word == "not supported"
    with pytest.raises(ValueError):
        S.verdict("empty", {})


def test_estimate_formatting():
    e = S.Estimate(0.0123, 0.008, 0.0161, 30, reference=0.1)
    assert e.fmt() == "+0.0123 [+0.008, +0.0161]"
    assert e.relative == pytest.approx(0.123)
    assert math.isnan(S.Estimate(1.0, 0.5, 1.5, 3).relative)


def test_smallest_effect_of_interest_fits_the_outcome_kind():
    gain = S.Estimate(0.02, 0.01, 0.03, 30, reference=1.0, outcome="learning_caused_north")
    assert S.sesoi(gain) == pytest.approx(0.05)  # relative: 5 % of the comparison mean
    assert S.sesoi(gain.about("learning_caused_north")) == pytest.approx(0.05)
    small_ref = S.Estimate(0.0, 0.0, 0.0, 30, reference=0.0, outcome="circulation_caused")
    assert S.sesoi(small_ref) == pytest.approx(0.001)  # never a zero bar: the absolute floor
    assert S.sesoi(E(0, 1, "mutuality_caused")) == 0.02
    assert S.sesoi(E(0, 1, "trust_panel_local")) == 0.02
    assert S.sesoi(E(0, 1, "partnerships_alive")) == 0.5
    assert S.sesoi(E(0, 1, "rmst")) == 1.0
    slope = S.Estimate(0.1, 0.05, 0.15, 30, outcome="mutuality", span=0.5)
    assert S.sesoi(slope) == pytest.approx(0.04)  # 0.02 across a range of 0.5
    with pytest.raises(ValueError, match="no smallest effect of interest for outcome 'weird'"):
        S.sesoi(E(0, 1, "weird"))
    assert S.sesoi(E(0, 1, "weird"), kind="count") == 0.5


def test_verdict_needs_an_effect_that_matters():
    """With a reference mean, a gain must clear MIN_RELATIVE of it."""
    tiny = S.Estimate(0.02, 0.01, 0.03, 30, reference=1.0, outcome="learning_gain_north")  # 2 % of the baseline
    big = S.Estimate(0.20, 0.10, 0.30, 30, reference=1.0, outcome="learning_gain_north")
    assert S.MIN_RELATIVE == 0.05
    v = S.verdict("q", {"tiny": tiny})
    assert v.word == "not supported" and "too small to matter" in v.line and "(+2%)" in v.line
    assert S.verdict("q", {"tiny": tiny}, min_relative=0.0, min_effect=0.0).word == "supported"
    v = S.verdict("q", {"big": big, "tiny": tiny}, moderator="m")
    assert v.word == "depends on m" and "tiny (too small)" in v.line


def test_p_value_against_the_bar_from_the_bootstrap_distribution():
    rng = np.random.default_rng(3)
    d = rng.normal(0.1, 0.05, 40)
    e = S.mean_difference(d, np.zeros(40), paired=True).about("mutuality")
    assert e.draws is not None and len(e.draws) == S.N_RESAMPLES
    assert e.p_beyond(0.0) < 0.001 < 0.9 < e.p_beyond(0.2)  # far above 0, far below 0.2
    assert e.p_beyond(0.2, expected=-1) > 0.99  # a decrease beyond 0.2: no
    # the p-value agrees with the interval: beyond the lower bound of the 95 % interval, p is about 0.025
    assert e.p_beyond(e.lo) == pytest.approx(0.025, abs=0.01)
    hand = S.Estimate(0.1, 0.05, 0.15, 30)  # no draws: normal approximation from the interval
    assert hand.p_beyond(0.05) == pytest.approx(0.025, abs=1e-3)
    exact = S.mean_difference(np.ones(5), np.zeros(5), paired=True)
    assert exact.p_beyond(0.5) == 0.0 and exact.p_beyond(1.5) == 1.0


def test_holm_adjustment():
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.02, 0.03, 0.06, 0.06
    assert S.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert S.holm([0.5]) == pytest.approx([0.5]) and S.holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])
    assert S.holm([]).size == 0


def test_adjust_judges_each_effect_on_the_whole_family():
    """Effects that clear the bar alone (p about 0.024) fail once ten of them share the family."""
    e = S.Estimate(0.1, 0.0215, 0.1785, 30, outcome="mutuality")  # p against 0.02 about 0.024 alone
    alone = S.verdict("q", {"a": e})
    assert alone.word == "supported" and not alone.adjusted
    assert S.adjust([alone])[0].word == "supported"  # a family of one: unchanged
    strong = S.Estimate(0.5, 0.45, 0.55, 30, outcome="mutuality")
    family = [S.verdict(f"q{i}", {"a": e}) for i in range(10)] + [S.verdict("strong", {"s": strong})]
    adjusted = S.adjust(family)
    assert all(v.word == "not supported" and v.adjusted for v in adjusted[:10])
    assert adjusted[10].word == "supported"
    assumed = S.verdict("by construction", {"a": e}, assumed="the switch deletes the channel")
    assert S.adjust([assumed, alone])[1].word == "supported"  # assumed verdicts are not in the family
    with pytest.raises(ValueError, match="already adjusted"):
        S.adjust(adjusted)


def test_replication_rule_finds_where_the_cv_settles():
    rng = np.random.default_rng(0)
    x = rng.normal(10.0, 1.0, 400)
    n = S.stable_from(x)
    assert 2 <= n < 400 and S.enough_replications(n, 400)
    cv = S.cv_curve(x)
    assert cv[-1] == pytest.approx(np.std(x, ddof=1) / abs(np.mean(x)))
    assert np.all(np.abs(cv[n - 1:] / cv[-1] - 1) <= 0.05) and abs(cv[n - 2] / cv[-1] - 1) > 0.05
    jump = np.r_[np.ones(29), 5.0]  # the last replication moves everything: not enough
    assert S.stable_from(jump) == 30 and not S.enough_replications(30, 30)
    assert S.stable_from(np.full(10, 3.0)) == 0  # constant: nothing to stabilise


def test_the_test_agrees_with_the_bca_interval_on_skewed_data():
    """On skewed data BCa and percentile bounds differ; the p-value follows the BCa interval the reports
    show: at the interval's lower bound it is 0.025, and beyond / short of it the decisions agree."""
    rng = np.random.default_rng(7)
    for _ in range(30):
        x = 0.1 * rng.exponential(size=30) ** 2
        e = S.mean_difference(x, np.zeros(30), paired=True)
        assert e.method == "BCa" and e.bca is not None
        assert e.p_beyond(e.lo) == pytest.approx(0.025, abs=2e-3)
        for f in (0.9, 0.97, 1.03, 1.1):
            assert (e.p_beyond(e.lo * f) < S.ALPHA) == (e.lo > e.lo * f)
        assert e.p_beyond(0.0, expected=-1) > 0.5  # a decrease: nowhere near
    down = S.mean_difference(-0.1 * rng.exponential(size=30) ** 2, np.zeros(30), paired=True)
    assert down.p_beyond(-down.hi, expected=-1) == pytest.approx(0.025, abs=2e-3)  # mirrored for a decrease
