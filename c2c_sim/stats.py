"""Statistics for experiments: bootstrap confidence intervals, survival, and plain verdicts.

Every interval is a 95 % bootstrap interval from :func:`scipy.stats.bootstrap`
(BCa unless said otherwise) drawn with a generator seeded with :data:`SEED`, so
the same data give the same interval on every machine and every run.

Experiments use common random numbers: replication ``i`` has the same seed in
every cell of a design, so a comparison between two cells is paired by
replication (:func:`mean_difference` with ``paired=True``, :func:`contrast`),
and curves over a parameter are bootstrapped by resampling whole replications
(:func:`slope`, :func:`saturation_level`).

A verdict (:func:`verdict`, then :func:`adjust` over an experiment's family)
is read off the bootstrap distributions, never off point estimates. Each effect
is tested against its smallest effect of interest (:func:`sesoi`: fit for the
outcome's kind, :data:`KINDS`: relative with an absolute floor for knowledge
gains, absolute for shares, trust, counts, rates and months; never zero): the
one-sided bootstrap p-value of "the effect is no larger than the smallest
effect of interest in the claimed direction", Holm-adjusted across every effect
behind an experiment's verdicts (:func:`holm`), must lie under :data:`ALPHA`
(0.025, one-sided: the level of a two-sided 95 % interval). A claim is
``supported`` when every effect it names holds, ``not supported`` when none
does, and ``depends on <parameter>`` when it holds for some levels of a
moderating parameter and not for others; a claim whose effect follows from an
assumption alone (a switch that deletes the channel being tested) is reported
``assumed, not tested`` whatever its numbers, and one the model has no mechanism to make true ``not
testable here``. :func:`stable_from` is the
replication rule (the coefficient of variation stable within 5 %, Lee et al.
2015). Verdicts are statements about the model, under its assumptions, not
about the world.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

CONFIDENCE = 0.95
N_RESAMPLES = 9999
SEED = 20240601
"""Seed of the bootstrap generator (fixed: the same data always give the same interval)."""

ALPHA = 0.025
"""One-sided level of every test (Holm-adjusted across an experiment): the level at which a two-sided
95 % interval excludes the bar."""

MIN_RELATIVE = 0.05
"""Smallest effect of interest of a knowledge gain, as a share of the comparison cell's mean (with the
absolute floor of :data:`KINDS`): with common random numbers, intervals are narrow
enough to exclude zero for effects too small to matter."""

KINDS: dict[str, tuple[float, float, str]] = {
    "gain": (0.001, MIN_RELATIVE, "knowledge gain: 5 % of the comparison mean, at least 0.001 on the 0-1 scale"),
    "share": (0.02, 0.0, "share, ratio or trust on a 0-1 scale: 0.02"),
    "count": (0.5, 0.0, "count (partnerships, adoptions): half a unit"),
    "rate": (0.05, 0.0, "exchange events a month: 0.05"),
    "months": (1.0, 0.0, "duration: one month"),
}
"""Outcome kind -> (absolute bar, relative bar, description): the smallest effect of interest of an
effect is ``max(absolute, relative * |comparison mean|)``. These are judgement, stated here and in each
report: 0.001 is a tenth of a percentage point of a knowledge level, 0.02 two points of a share."""

_KIND_OF = (("mutuality", "share"), ("_share", "share"), ("trust", "share"), ("partnerships_alive", "count"),
            ("policy_adoptions", "count"), ("initiatives_", "count"), ("activity_after", "rate"),
            ("exchange", "rate"), ("rmst", "months"), ("_months", "months"), ("learning", "gain"),
            ("circulation", "gain"), ("institutional_knowledge", "gain"))


def outcome_kind(outcome: str) -> str:
    """The kind (:data:`KINDS`) of an outcome, from its name; ValueError for a name no rule covers."""
    for part, kind in _KIND_OF:
        if part in outcome:
            return kind
    raise ValueError(f"no smallest effect of interest for outcome '{outcome}': name one of the kinds "
                     f"{', '.join(KINDS)} (stats.verdict(..., kind=...))")

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
DEPENDS = "depends on"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its bootstrap confidence interval.

    ``reference`` is the control's mean for effects (so that :attr:`relative`
    can say how large the effect is against the baseline), NaN otherwise.
    """

    estimate: float
    lo: float
    hi: float
    n: int
    reference: float = math.nan
    method: str = "BCa"
    outcome: str = ""  # the outcome it estimates (sets the smallest effect of interest)
    span: float = math.nan  # for a slope: the width of the swept range (its bar is the outcome's over the range)
    draws: np.ndarray | None = field(default=None, compare=False, repr=False)  # the bootstrap distribution
    bca: tuple[float, float] | None = field(default=None, compare=False, repr=False)  # (z0, a) of a BCa interval

    @property
    def sign(self) -> int:
        """+1 if the interval lies above zero, -1 if below, 0 if it contains zero."""
        if self.lo > 0:
            return 1
        if self.hi < 0:
            return -1
        return 0

    @property
    def relative(self) -> float:
        """The estimate as a share of the reference (NaN without a usable reference)."""
        if not math.isfinite(self.reference) or abs(self.reference) < 1e-12:
            return math.nan
        return self.estimate / abs(self.reference)

    def about(self, outcome: str, span: float | None = None) -> Estimate:
        """The same estimate, labelled with the outcome it estimates (and, for a slope, the range it spans)."""
        return dataclasses.replace(self, outcome=outcome, span=self.span if span is None else span)

    def p_beyond(self, bar: float, expected: int = 1) -> float:
        """One-sided p-value of "the effect is at most ``bar`` in the ``expected`` direction".

        From the bootstrap distribution when there is one: the share ``g = (1 + #draws on the wrong side) /
        (1 + #draws)``, carried through the BCa correction when the interval is BCa (the level at which
        the BCa bound reaches the bar, so the test and the reported interval agree), else ``g`` itself;
        otherwise from the interval by a normal approximation; a degenerate interval (every
        paired difference equal) gives 0 beyond the bar and 1 otherwise.
        """
        est = expected * self.estimate
        if not math.isfinite(est):
            return 1.0
        if self.draws is not None and len(self.draws):
            wrong = np.count_nonzero(expected * np.asarray(self.draws) <= bar)
            g = (1 + wrong) / (1 + len(self.draws))
            if self.bca is None:
                return float(g)
            # the level at which the BCa interval's bound reaches the bar: the test agrees with the interval
            if g >= 1.0:
                return 1.0
            z0, acc = self.bca
            z0, acc = expected * z0, expected * acc  # mirrored for a decrease
            u = float(_st.norm.ppf(g)) - z0
            return float(_st.norm.cdf(u / (1.0 + acc * u) - z0)) if 1.0 + acc * u > 0 else 1.0
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)):
            return 1.0
        if self.hi == self.lo:
            return 0.0 if est > bar else 1.0
        se = (self.hi - self.lo) / (2 * _st.norm.ppf(0.5 + CONFIDENCE / 2))
        return float(_st.norm.sf((est - bar) / se))

    def fmt(self, digits: int = 3) -> str:
        """``+0.012 [+0.008, +0.016]`` (signed, with ``digits`` significant digits)."""
        est, lo, hi = (_fmt_number(v, digits, sign=True) for v in (self.estimate, self.lo, self.hi))
        return f"{est} [{lo}, {hi}]"


def _fmt_number(x: float, digits: int = 3, sign: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    s = f"{x:+.{digits}g}" if sign else f"{x:.{digits}g}"
    return s.replace("e-0", "e-").replace("e+0", "e+")


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(SEED if seed is None else seed)


def _interval(data: tuple[np.ndarray, ...], statistic: Callable, point: float, *, method: str = "BCa",
              seed: int | None = None, n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE,
              paired: bool = False) -> tuple[float, float, str, np.ndarray | None, tuple[float, float] | None]:
    """Bootstrap interval of ``statistic`` (vectorised, ``axis=-1``) with fallbacks for degenerate data,
    the bootstrap distribution (None when degenerate) and, for a one-sample BCa interval, its constants.

    Constant data give a zero-width interval at the point estimate (BCa is
    undefined there); if BCa fails otherwise the percentile interval is used.
    """
    if not math.isfinite(point):
        return math.nan, math.nan, method, None, None
    if all(d.size == 0 or float(np.ptp(d)) == 0.0 for d in data):
        return point, point, "degenerate", None, None
    for m in (method, "percentile") if method != "percentile" else (method,):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = _st.bootstrap(data, statistic, n_resamples=n_resamples, confidence_level=confidence, method=m,
                                vectorized=True, paired=paired, axis=-1, rng=_rng(seed))
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(lo) and math.isfinite(hi):
            draws = np.asarray(res.bootstrap_distribution, dtype=float)
            return lo, hi, m, draws, _bca_constants(data, statistic, point, draws) if m == "BCa" else None
    return math.nan, math.nan, method, None, None


def _bca_constants(data: tuple[np.ndarray, ...], statistic: Callable, point: float,
                   draws: np.ndarray) -> tuple[float, float] | None:
    """(bias correction z0, acceleration a) of a one-sample BCa interval, as scipy computes them: z0 from
    the share of draws below the estimate, a from the jackknife (None for several samples)."""
    if len(data) != 1:
        return None
    x = np.asarray(data[0])
    n = x.shape[-1]
    share = np.count_nonzero(draws < point) / draws.size
    if not 0 < share < 1 or n < 3:
        return None
    leave_one_out = np.broadcast_to(x, (n, n))[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    jack = np.asarray(statistic(leave_one_out, axis=-1), dtype=float)
    dev = jack.mean() - jack
    den = 6.0 * float((dev ** 2).sum()) ** 1.5
    return float(_st.norm.ppf(share)), (float((dev ** 3).sum()) / den if den > 0 else 0.0)


def _clean(x) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    return a[np.isfinite(a)]


def bootstrap_mean(x, *, seed: int | None = None, method: str = "BCa", n_resamples: int = N_RESAMPLES,
                   confidence: float = CONFIDENCE) -> Estimate:
    """Mean of ``x`` (NaNs dropped) with its bootstrap interval."""
    a = _clean(x)
    if a.size == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    point = float(a.mean())
    if a.size == 1:
        return Estimate(point, math.nan, math.nan, 1)
    lo, hi, m, draws, bca = _interval((a,), lambda s, axis=-1: s.mean(axis=axis), point, method=method,
                                      seed=seed, n_resamples=n_resamples, confidence=confidence)
    return Estimate(point, lo, hi, int(a.size), method=m, draws=draws, bca=bca)


def mean_difference(treatment, control, *, paired: bool, seed: int | None = None, method: str = "BCa",
                    n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """``mean(treatment) - mean(control)`` with its bootstrap interval.

    ``paired=True`` (common random numbers: element ``i`` of both arrays comes
    from the same seed) bootstraps the mean of the pairwise differences; pairs
    with a NaN on either side are dropped. ``paired=False`` resamples the two
    groups independently. ``reference`` is the control's mean.
    """
    t = np.asarray(treatment, dtype=float).ravel()
    c = np.asarray(control, dtype=float).ravel()
    if paired:
        if t.shape != c.shape:
            raise ValueError(f"paired samples differ in length ({t.size} vs {c.size})")
        ok = np.isfinite(t) & np.isfinite(c)
        t, c = t[ok], c[ok]
        if t.size == 0:
            return Estimate(math.nan, math.nan, math.nan, 0)
        d = t - c
        point = float(d.mean())
        if d.size == 1:
            return Estimate(point, math.nan, math.nan, 1, float(c.mean()))
        lo, hi, m, draws, bca = _interval((d,), lambda s, axis=-1: s.mean(axis=axis), point, method=method,
                                          seed=seed, n_resamples=n_resamples, confidence=confidence)
        return Estimate(point, lo, hi, int(d.size), float(c.mean()), m, draws=draws, bca=bca)
    t, c = t[np.isfinite(t)], c[np.isfinite(c)]
    if t.size == 0 or c.size == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    point = float(t.mean() - c.mean())
    if min(t.size, c.size) < 2:
        return Estimate(point, math.nan, math.nan, int(min(t.size, c.size)), float(c.mean()))
    lo, hi, m, draws, _ = _interval((t, c), lambda a, b, axis=-1: a.mean(axis=axis) - b.mean(axis=axis), point,
                                    method=method, seed=seed, n_resamples=n_resamples, confidence=confidence)
    return Estimate(point, lo, hi, int(min(t.size, c.size)), float(c.mean()), m, draws=draws)


def _as_matrix(Y) -> np.ndarray:
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError("Y must be a (replications, levels) matrix")
    return Y[np.isfinite(Y).all(axis=1)]


def _ols_slope(x: np.ndarray, curves: np.ndarray) -> np.ndarray:
    xc = x - x.mean()
    return (curves - curves.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)


def slope(x, Y, *, seed: int | None = None, method: str = "BCa", n_resamples: int = N_RESAMPLES,
          confidence: float = CONFIDENCE) -> Estimate:
    """Least-squares slope of the mean outcome over ``x``, bootstrapping whole replications.

    ``Y`` is (replications, levels): row ``i`` is replication ``i`` at every
    level of ``x`` (common random numbers). Each bootstrap sample draws
    replications with replacement, averages their curves and fits the slope, so
    the interval respects the pairing across levels. Rows with a NaN are dropped.
    """
    x = np.asarray(x, dtype=float)
    Y = _as_matrix(Y)
    if Y.shape[0] == 0 or x.size < 2:
        return Estimate(math.nan, math.nan, math.nan, int(Y.shape[0]))
    point = float(_ols_slope(x, Y.mean(axis=0)))
    if Y.shape[0] == 1:
        return Estimate(point, math.nan, math.nan, 1)
    idx = np.arange(Y.shape[0])

    def stat(i, axis=-1):
        return _ols_slope(x, Y[np.asarray(i, dtype=np.int64)].mean(axis=-2))

    lo, hi, m, draws, bca = _interval((idx,), stat, point, method=method, seed=seed, n_resamples=n_resamples,
                                      confidence=confidence) if np.ptp(Y, axis=0).max() > 0 else \
        (point, point, "degenerate", None, None)
    return Estimate(point, lo, hi, int(Y.shape[0]), method=m, span=float(np.ptp(x)), draws=draws, bca=bca)


def _saturation(x: np.ndarray, curves: np.ndarray, fraction: float, log_x: bool) -> np.ndarray:
    """First level (interpolated) at which ``curve - curve[0]`` reaches ``fraction`` of its maximum."""
    gain = curves - curves[..., :1]
    target = fraction * gain.max(axis=-1, keepdims=True)
    reached = gain >= target
    j = reached.argmax(axis=-1)  # first True (always exists: the maximum reaches it)
    xs = np.log(x) if log_x else x
    jm = np.maximum(j - 1, 0)
    g0 = np.take_along_axis(gain, jm[..., None], -1)[..., 0]
    g1 = np.take_along_axis(gain, j[..., None], -1)[..., 0]
    t = target[..., 0]
    w = np.where(g1 > g0, (t - g0) / np.where(g1 > g0, g1 - g0, 1.0), 1.0)
    out = np.where(j == 0, xs[0], xs[jm] + np.clip(w, 0.0, 1.0) * (xs[j] - xs[jm]))
    out = np.where(gain.max(axis=-1) <= 0, xs[0], out)  # no gain anywhere: nothing to saturate
    return np.exp(out) if log_x else out


def saturation_level(x, Y, *, fraction: float = 0.9, log_x: bool = False, seed: int | None = None,
                     n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE) -> Estimate:
    """The level of ``x`` at which the mean outcome first reaches ``fraction`` of its largest gain.

    The gain is measured over the first (lowest) level: with ``m`` the mean
    curve, the threshold is the smallest ``x`` with ``m(x) - m(x0) >=
    fraction * max(m - m(x0))``, linearly interpolated between the two levels
    around it (on a log scale if ``log_x``). A curve that never rises above its
    first level has its threshold at ``x0``. ``Y`` is (replications, levels);
    the interval (percentile: the statistic is not smooth) resamples whole
    replications.
    """
    x = np.asarray(x, dtype=float)
    Y = _as_matrix(Y)
    if Y.shape[0] == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    point = float(_saturation(x, Y.mean(axis=0), fraction, log_x))
    if Y.shape[0] == 1:
        return Estimate(point, math.nan, math.nan, 1, method="percentile")
    idx = np.arange(Y.shape[0])

    def stat(i, axis=-1):
        return _saturation(x, Y[np.asarray(i, dtype=np.int64)].mean(axis=-2), fraction, log_x)

    lo, hi, m, _, _ = _interval((idx,), stat, point, method="percentile", seed=seed, n_resamples=n_resamples,
                                confidence=confidence) if np.ptp(Y, axis=0).max() > 0 else \
        (point, point, "degenerate", None, None)
    return Estimate(point, lo, hi, int(Y.shape[0]), method=m)


def first_level_holding(levels: Sequence, effects: Sequence[Estimate], expected: int = 1, **bar):
    """The first level whose effect holds on its own (:func:`holds`, unadjusted), else None."""
    for level, e in zip(levels, effects, strict=True):
        if holds(e, expected, **bar):
            return level
    return None


# ---------------------------------------------------------------- tidy-table helpers
def _select(df: pd.DataFrame, where: Mapping[str, object]) -> pd.DataFrame:
    mask = np.ones(len(df), bool)
    for k, v in where.items():
        col = df[k]
        if isinstance(v, float):
            mask &= np.isclose(col.to_numpy(dtype=float), v)
        else:
            mask &= (col == v).to_numpy()
    return df[mask]


def contrast(df: pd.DataFrame, outcome: str, treatment: Mapping[str, object], control: Mapping[str, object], *,
             on: str = "replication", paired: bool = True, **kw) -> Estimate:
    """Effect on ``outcome`` of the cell ``treatment`` over the cell ``control`` (dicts column -> value).

    Rows are paired on ``on`` (the replication index; common random numbers);
    each cell must have at most one row per replication.
    """
    t = _select(df, treatment)[[on, outcome]]
    c = _select(df, control)[[on, outcome]]
    for name, part in (("treatment", t), ("control", c)):
        if part.empty:
            raise ValueError(f"no rows for the {name} cell {dict(treatment if name == 'treatment' else control)}")
        if part[on].duplicated().any():
            raise ValueError(f"the {name} cell has several rows per '{on}': select one cell")
    if not paired:
        return mean_difference(t[outcome], c[outcome], paired=False, **kw).about(outcome)
    m = t.merge(c, on=on, suffixes=("_t", "_c"))
    return mean_difference(m[f"{outcome}_t"], m[f"{outcome}_c"], paired=True, **kw).about(outcome)


def cell_means(df: pd.DataFrame, by: Sequence[str], outcomes: Sequence[str], **kw) -> pd.DataFrame:
    """Mean and bootstrap interval of each outcome in each cell: columns by..., outcome, mean, lo, hi, n."""
    rows = []
    for key, part in df.groupby(list(by), sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for o in outcomes:
            e = bootstrap_mean(part[o], **kw)
            rows.append((*key, o, e.estimate, e.lo, e.hi, e.n))
    return pd.DataFrame(rows, columns=[*by, "outcome", "mean", "lo", "hi", "n"])


def curve_matrix(df: pd.DataFrame, x: str, outcome: str, *, on: str = "replication") -> tuple[np.ndarray, np.ndarray]:
    """(levels of ``x``, matrix replications x levels of ``outcome``) from one cell's tidy rows."""
    wide = df.pivot(index=on, columns=x, values=outcome).sort_index(axis=1)
    return wide.columns.to_numpy(dtype=float), wide.to_numpy(dtype=float)


# ---------------------------------------------------------------- survival
def kaplan_meier(durations, observed, *, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Kaplan-Meier survival curve with Greenwood's log-log confidence band.

    ``durations`` are times to the event or to censoring, ``observed`` True
    where the event (an initiative stalling) was seen, False where the
    observation was cut short (still active at the end of the run). Returns one
    row per distinct time, starting with time 0: ``time, at_risk, events,
    survival, lo, hi`` (the survival just after ``time``).
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    z = _st.norm.ppf(0.5 + confidence / 2)
    rows = [(0.0, int(d.size), 0, 1.0, 1.0, 1.0)]
    s, var_sum = 1.0, 0.0
    for t in np.unique(d):
        at_risk = int(np.count_nonzero(d >= t))
        events = int(np.count_nonzero((d == t) & e))
        if events == 0:
            continue
        s *= 1.0 - events / at_risk
        if at_risk > events:
            var_sum += events / (at_risk * (at_risk - events))
        if 0 < s < 1 and var_sum > 0:
            se = math.sqrt(var_sum) / abs(math.log(s))
            lo, hi = s ** math.exp(z * se), s ** math.exp(-z * se)
        else:
            lo = hi = s
        if t == 0:
            rows[0] = (0.0, at_risk, events, s, lo, hi)
        else:
            rows.append((float(t), at_risk, events, s, lo, hi))
    return pd.DataFrame(rows, columns=["time", "at_risk", "events", "survival", "lo", "hi"])


def restricted_mean_survival(durations, observed, tau: float) -> float:
    """Area under the Kaplan-Meier curve from 0 to ``tau``: the mean time survived within ``tau``.

    Without censoring it equals ``mean(min(duration, tau))``. NaN without data.
    """
    d = np.asarray(durations, dtype=float)
    if d.size == 0:
        return math.nan
    km = kaplan_meier(d, observed)
    times = np.append(km["time"].to_numpy(), np.inf)
    surv = km["survival"].to_numpy()
    area = 0.0
    for i, s in enumerate(surv):
        a, b = times[i], min(times[i + 1], tau)
        if b > a:
            area += s * (b - a)
        if times[i + 1] >= tau:
            break
    return float(area)


# ---------------------------------------------------------------- verdicts
def sesoi(e: Estimate, *, kind: str | None = None, min_effect: float | None = None,
          min_relative: float | None = None) -> float:
    """The smallest effect of interest of ``e``: ``max(absolute, relative * |comparison mean|)``.

    The bars come from the outcome's kind (:data:`KINDS`, from ``e.outcome`` unless ``kind`` is given);
    ``min_effect`` and ``min_relative`` override them. A slope's bar is the outcome's bar spread over the
    swept range (``e.span``): a slope matters when it moves the outcome by the bar across the range.
    """
    if min_effect is None or min_relative is None:
        a, r, _ = KINDS[kind or outcome_kind(e.outcome)]
        min_effect = a if min_effect is None else min_effect
        min_relative = r if min_relative is None else min_relative
    bar = max(min_effect, min_relative * abs(e.reference) if math.isfinite(e.reference) else 0.0)
    return bar / e.span if math.isfinite(e.span) and e.span > 0 else bar


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of ``pvalues`` (family-wise error), in their order.

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i + 1`` (i from 1), made monotone
    and capped at 1. (scipy.stats.false_discovery_control offers only Benjamini-Hochberg/-Yekutieli.)
    """
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adj
    return out


def holds(e: Estimate, expected: int = 1, *, p: float | None = None, **bar) -> bool:
    """True when the effect lies beyond its smallest effect of interest on the ``expected`` side: its
    (adjusted, if ``p`` is given) one-sided p-value is under :data:`ALPHA`."""
    if not (math.isfinite(e.lo) and math.isfinite(e.hi)):
        return False
    p = e.p_beyond(sesoi(e, **bar), expected) if p is None else p
    return p < ALPHA


ASSUMED = "assumed, not tested"
UNTESTABLE = "not testable here"


@dataclass(frozen=True)
class Verdict:
    """The answer to one question of an experiment, read off its effects.

    ``p`` holds each effect's one-sided p-value against its bar, Holm-adjusted once :func:`adjust` has
    seen the experiment's whole family (unadjusted before). ``assumed`` names the assumption that makes
    the effect true by construction: such a verdict is ``assumed, not tested`` whatever its numbers.
    """

    question: str
    word: str  # "supported", "not supported", "depends on <parameter>" or "assumed, not tested"
    line: str  # one plain sentence for reports
    effects: tuple[tuple[str, Estimate], ...] = field(default=())
    expected: int = 1
    moderator: str | None = None
    assumed: str = ""
    p: tuple[float, ...] = ()
    bars: tuple[float, ...] = ()
    adjusted: bool = False
    bar: tuple = (None, None, None)  # (kind, min_effect, min_relative) given to verdict()
    untestable: str = ""  # why the model cannot make this come out true: reported "not testable here"

    @property
    def supported(self) -> bool:
        return self.word == SUPPORTED

    @property
    def tested(self) -> bool:
        return not (self.assumed or self.untestable)


def verdict(question: str, effects: Mapping[str, Estimate] | Sequence[tuple[str, Estimate]], *,
            expected: int = 1, moderator: str | None = None, assumed: str = "", untestable: str = "",
            kind: str | None = None,
            min_effect: float | None = None, min_relative: float | None = None, p: Sequence[float] | None = None,
            digits: int = 3) -> Verdict:
    """A plain verdict on ``question`` from labelled effects (label -> Estimate).

    Each effect holds when its one-sided p-value (``p`` if given, e.g. Holm-adjusted by :func:`adjust`;
    else unadjusted) against its smallest effect of interest (:func:`sesoi`) in the ``expected``
    direction (+1: the claim expects an increase, -1 a decrease) is under :data:`ALPHA`. All hold:
    ``supported``. None holds: ``not supported`` (the line says which effects point the other way with
    confidence, which are real but too small to matter, and which are unclear). Some hold: ``depends on
    <moderator>`` (the parameter whose levels the labels name), and the line says where the claim holds
    and where not. With ``assumed`` (the assumption that makes it true by construction) the word is
    ``assumed, not tested`` and the line says why.
    """
    items = list(effects.items()) if isinstance(effects, Mapping) else list(effects)
    if not items:
        raise ValueError("a verdict needs at least one effect")
    bar_kw = {"kind": kind, "min_effect": min_effect, "min_relative": min_relative}
    bars = tuple(sesoi(e, **bar_kw) for _, e in items)
    ps = tuple(float(x) for x in p) if p is not None else tuple(e.p_beyond(b, expected)
                                                                 for (_, e), b in zip(items, bars))
    ok = [lab for (lab, e), pv in zip(items, ps) if holds(e, expected, p=pv)]
    against = [lab for lab, e in items if e.sign == -expected]
    small = [lab for lab, e in items if lab not in ok and e.sign == expected]
    p_name = "p Holm" if p is not None else "p"
    detail = "; ".join(f"{lab}: {e.fmt(digits)}" + (f" ({e.relative:+.0%})" if math.isfinite(e.relative) else "")
                       + f", bar {_fmt_number(b, 2)}, {p_name} {pv:.2g}" for (lab, e), b, pv in zip(items, bars, ps))

    def tag(lab: str) -> str:
        return f"{lab} (opposite)" if lab in against else f"{lab} (too small)" if lab in small else lab

    if assumed:
        word = ASSUMED
        line = f"{question}: assumed, not tested: {assumed} ({detail})"
    elif untestable:
        word = UNTESTABLE
        line = f"{question}: not testable here: {untestable} ({detail})"
    elif len(ok) == len(items):
        word = SUPPORTED
        line = f"{question}: supported ({detail})"
    elif not ok:
        word = NOT_SUPPORTED
        why = []
        if against:
            why.append(f"opposite effect for {', '.join(against)}")
        if small:
            why.append(f"an effect too small to matter (not clearly beyond the bar) for {', '.join(small)}")
        unclear = [lab for lab, _ in items if lab not in against and lab not in small]
        if unclear:
            why.append(f"no clear effect for {', '.join(unclear)}")
        line = f"{question}: not supported, {'; '.join(why)} ({detail})"
    else:
        word = f"{DEPENDS} {moderator or 'the condition'}"
        not_ok = [tag(lab) for lab, _ in items if lab not in ok]
        line = f"{question}: {word}; holds for {', '.join(ok)}, not for {', '.join(not_ok)} ({detail})"
    return Verdict(question, word, line, tuple(items), expected, moderator, assumed, ps, bars, p is not None,
                   (kind, min_effect, min_relative), untestable)


def adjust(verdicts: Sequence[Verdict]) -> list[Verdict]:
    """The verdicts again, each effect judged on its Holm-adjusted p-value over the whole family: every
    effect behind every tested verdict of one experiment (assumed and untestable verdicts test nothing and
    are left out)."""
    family = [(i, j) for i, v in enumerate(verdicts) if v.tested for j in range(len(v.effects))]
    adj = holm([verdicts[i].p[j] for i, j in family]) if family else np.zeros(0)
    p_of = {ij: float(a) for ij, a in zip(family, adj)}
    out = []
    for i, v in enumerate(verdicts):
        if v.adjusted:
            raise ValueError(f"the verdict on '{v.question}' is already adjusted")
        if not v.tested:
            out.append(v)
            continue
        ps = [p_of[(i, j)] for j in range(len(v.effects))]
        kind, min_effect, min_relative = v.bar
        out.append(verdict(v.question, v.effects, expected=v.expected, moderator=v.moderator, p=ps, kind=kind,
                           min_effect=min_effect, min_relative=min_relative))
    return out


# ---------------------------------------------------------------- replications
STABILITY_TOLERANCE = 0.05
"""The replication rule's tolerance: the coefficient of variation stays within 5 % of its final value."""
STABILITY_TAIL = 0.2
"""...over at least the last fifth of the replications (Lee et al. 2015, JASSS 18(4) 4)."""


def cv_curve(x) -> np.ndarray:
    """Coefficient of variation (sd / |mean|) of the first ``n`` values, for ``n = 1..len(x)`` (NaN where
    undefined: fewer than two values or a mean of zero)."""
    a = np.asarray(x, dtype=float)
    n = np.arange(1, a.size + 1)
    mean = np.cumsum(a) / n
    var = (np.cumsum(a * a) - n * mean * mean) / np.maximum(n - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(np.maximum(var, 0.0)) / np.abs(mean)
    cv[(n < 2) | ~np.isfinite(cv)] = np.nan
    return cv


def stable_from(x, tolerance: float = STABILITY_TOLERANCE) -> int:
    """The number of replications from which the coefficient of variation of ``x`` (in replication
    order) stays within ``tolerance`` of its value over all of them: the smallest ``n`` such that every
    ``m >= n`` has ``|CV(m) / CV(N) - 1| <= tolerance``. 0 when the CV is undefined (constant or
    zero-mean data: nothing to stabilise); ``N`` when the last replication still moved it."""
    cv = cv_curve(x)
    if cv.size < 2 or not np.isfinite(cv[-1]) or cv[-1] == 0:
        return 0
    ok = np.abs(cv / cv[-1] - 1.0) <= tolerance
    ok &= np.isfinite(cv)
    bad = np.flatnonzero(~ok)
    return int(bad[-1] + 2) if bad.size else 2


def enough_replications(n_stable: int, n: int, tail: float = STABILITY_TAIL) -> bool:
    """The replication rule: the CV was stable over at least the last ``tail`` share of ``n`` runs."""
    return n_stable <= n - max(1, math.ceil(tail * n))
