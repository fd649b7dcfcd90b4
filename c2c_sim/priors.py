"""The model's uncertain parameters and their prior ranges: one list for calibration, robustness and EMA.

A behavioural parameter nobody chooses and the field has not measured is *uncertain*. Each is listed
in :data:`UNCERTAIN` with the range a sample takes it from: the schema's whole range (``None``) or a
narrower one where the schema's range is open-ended or admits values no field account supports; every
narrower range is checked against the schema and its reason written beside it.

* :func:`sample` draws points from these ranges with a scrambled Sobol' sequence
  (``scipy.stats.qmc``), seeded, so the same ``(n, seed, keys)`` gives the same points on any machine;
  integer parameters are rounded.
* :func:`configs` turns sampled rows into validated configurations on a base configuration.

:mod:`c2c_sim.ema` samples the same list as its uncertainties; the calibration
(``c2c-sim-calibrate``) takes them as its priors (uniform over these ranges) and the robustness maps
(``c2c-sim-robustness``) sample them when no calibration is given. Policy levers (what a programme or
a city chooses, :data:`c2c_sim.ema.LEVERS`) are not uncertain and are not listed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .config import Config, ConfigError, check_value, lookup_field, make_config

UNCERTAIN: dict[str, tuple | None] = {
    "trust.initial": None,
    "trust.growth": None,
    "trust.decay": (0.0, 0.2),                  # above 0.2 a month, trust halves in under three months unused
    "trust.tacit_exponent": (1.0, 4.0),
    "knowledge.explicit_rate": None,
    "knowledge.tacit_rate": None,
    "knowledge.absorptive_base": None,
    "knowledge.monthly_intake": (0.0, 0.2),     # more than a fifth of a domain in one month is no limit at all
    "knowledge.forget_rate": (0.0, 0.1),        # above 0.1 a month, half of an unused gain is gone in half a year
    "knowledge.distance_north_south": None,
    "dissemination.institutionalisation_rate": (0.0, 0.1),
    "dissemination.turnover_rate": (0.0, 0.05),  # 0.05 a month: 46 % of the staff leave each year
    "dissemination.local_contact_rate": None,
    "dissemination.remote_contact_rate": (0.0, 0.2),
    "municipality.own_activity_rate": (0.0, 2.0),   # schema allows 100 exchanges a month; 2 is already a lot
    "municipality.dormancy_months": (6, 60),        # a partnership idle for half a year to five years ends
    "partnership.familiarity_growth": None,
    "partnership.response_base": None,
    "partnership.support_growth": (0.0, 0.2),
    "partnership.support_decay": (0.0, 0.1),
    "cso.start_rate": (0.0, 0.1),
    "cso.volunteer_decay": (0.0, 0.2),
    "cso.support_gain": None,
}
"""Uncertain parameters (dotted keys) and their prior range (None: the schema's whole range)."""


def bounds(key: str, given: tuple | None = None) -> tuple[float, float]:
    """The range of ``key``: ``given``, else its entry in :data:`UNCERTAIN`, else the schema's; checked
    against the schema. Only numeric parameters have one (booleans and choices are not sampled here)."""
    f = lookup_field(key)
    m = f.metadata
    if isinstance(f.default, bool) or m.get("choices") or not isinstance(f.default, (int, float)):
        raise ConfigError(f"cannot sample '{key}': only numeric parameters have a prior range "
                          f"(booleans and choices belong in a sweep or an experiment)")
    rng = given if given is not None else UNCERTAIN.get(key)
    lo, hi = rng if rng is not None else (m.get("lo"), m.get("hi"))
    lo, hi = check_value(key, lo, f), check_value(key, hi, f)
    if not lo < hi:
        raise ConfigError(f"{key}: the lower bound {lo} must be below the upper bound {hi}")
    return float(lo), float(hi)


def is_integer(key: str) -> bool:
    return isinstance(lookup_field(key).default, int) and not isinstance(lookup_field(key).default, bool)


def keys_and_bounds(keys: Iterable[str] | dict[str, tuple | None] | None = None
                    ) -> tuple[list[str], list[tuple[float, float]]]:
    """Dotted keys (default: all of :data:`UNCERTAIN`) and their checked ranges."""
    given = dict(UNCERTAIN) if keys is None else (dict(keys) if isinstance(keys, dict) else dict.fromkeys(keys))
    if not given:
        raise ConfigError("no parameter to sample: name at least one")
    names = list(given)
    return names, [bounds(k, b) for k, b in given.items()]


def sample(n: int, seed: int, keys: Iterable[str] | dict[str, tuple | None] | None = None) -> pd.DataFrame:
    """``n`` points of the uncertain parameters, uniform over their ranges: a scrambled Sobol' sequence
    seeded with ``seed`` (rows in sequence order; ``n`` need not be a power of two: the first ``n``
    points of the next power's sequence). One column per dotted key; integers rounded."""
    from scipy.stats import qmc

    if n < 1:
        raise ConfigError(f"samples={n} must be at least 1")
    names, bnds = keys_and_bounds(keys)
    sobol = qmc.Sobol(d=len(names), scramble=True, seed=np.random.default_rng(seed))
    u = sobol.random(2 ** int(np.ceil(np.log2(max(n, 2)))))[:n]
    lo = np.array([b[0] for b in bnds])
    hi = np.array([b[1] for b in bnds])
    X = qmc.scale(u, lo, hi)
    out = pd.DataFrame(X, columns=names)
    for k, (a, b) in zip(names, bnds):
        if is_integer(k):
            out[k] = np.clip(np.rint(out[k]), a, b).astype(int)
    return out


def values(row: pd.Series | dict) -> dict:
    """One sampled row as dotted key -> plain Python value (ints for integer parameters)."""
    items = row.items() if isinstance(row, (dict, pd.Series)) else row
    return {k: (int(round(float(v))) if is_integer(k) else float(v)) for k, v in items}


def configs(table: pd.DataFrame, base: Config | None = None, keys: Sequence[str] | None = None) -> list[Config]:
    """The validated configuration of each row of ``table`` (its columns ``keys``, default every column
    that is a parameter) on ``base`` (default: the default scenario)."""
    base = base if base is not None else make_config()
    keys = list(keys) if keys is not None else [c for c in table.columns if _is_param(c)]
    return [make_config(values(r), base=base) for r in table[keys].to_dict("records")]


def _is_param(name: str) -> bool:
    try:
        lookup_field(name)
    except ConfigError:
        return False
    return "." in name
