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
    assert not S.holds(e)


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
    es = [S.Estimate(0.1, -0.1, 0.3, 10), S.Estimate(0.5, 0.2, 0.8, 10), S.Estimate(0.9, 0.6, 1.2, 10)]
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
def E(lo, hi):
    return S.Estimate((lo + hi) / 2, lo, hi, 30)


def test_verdict_words():
    v = S.verdict("X raises Y", {"a": E(0.1, 0.3), "b": E(0.2, 0.5)})
    assert v.word == "supported" and v.supported and v.line.startswith("X raises Y: supported")
    v = S.verdict("X raises Y", {"a": E(-0.3, -0.1), "b": E(-0.1, 0.2)})
    assert v.word == "not supported"
    assert "opposite effect for a" in v.line and "no clear effect for b" in v.line
    v = S.verdict("X raises Y", {"low": E(0.1, 0.3), "high": E(-0.1, 0.2)}, moderator="openness")
    assert v.word == "depends on openness"
    assert "holds for low, not for high" in v.line


def test_verdict_direction_and_minimum_effect():
    assert S.verdict("cut lowers", {"a": E(-0.3, -0.1)}, expected=-1).word == "supported"
    assert S.verdict("cut lowers", {"a": E(0.1, 0.3)}, expected=-1).word == "not supported"
    assert S.verdict("tiny", {"a": E(0.01, 0.02)}, min_effect=0.05).word == "not supported"
    nan = S.Estimate(math.nan, math.nan, math.nan, 0)
    assert S.verdict("no data", {"a": nan}).word == "not supported"
    with pytest.raises(ValueError):
        S.verdict("empty", {})


def test_estimate_formatting():
    e = S.Estimate(0.0123, 0.008, 0.0161, 30, reference=0.1)
    assert e.fmt() == "+0.0123 [+0.008, +0.0161]"
    assert e.relative == pytest.approx(0.123)
    assert math.isnan(S.Estimate(1.0, 0.5, 1.5, 3).relative)


def test_verdict_needs_an_effect_that_matters():
    """With a reference mean, an effect must clear MIN_RELATIVE of it with its whole interval."""
    tiny = S.Estimate(0.02, 0.01, 0.03, 30, reference=1.0)  # clearly above zero, but 2 % of the baseline
    big = S.Estimate(0.20, 0.10, 0.30, 30, reference=1.0)
    assert S.MIN_RELATIVE == 0.05
    v = S.verdict("q", {"tiny": tiny})
    assert v.word == "not supported" and "too small to matter" in v.line and "(+2%)" in v.line
    assert S.verdict("q", {"tiny": tiny}, min_relative=0.0).word == "supported"
    v = S.verdict("q", {"big": big, "tiny": tiny}, moderator="m")
    assert v.word == "depends on m" and "tiny (too small)" in v.line
    assert S.threshold(tiny) == pytest.approx(0.05) and S.threshold(E(0.1, 0.3)) == 0.0
