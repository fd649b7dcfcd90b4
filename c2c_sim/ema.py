"""c2c_sim as an EMA Workbench model: levers (policy), uncertainties (behaviour), outcomes, replications.

``c2c_sim.ema.model()`` builds an ``ema_workbench.ReplicatorModel`` around :func:`c2c_sim.run`:

* **levers** are what a programme or a city can choose, the parameters the recommendations vary
  (:data:`LEVERS`: programme duration, budget, coherence, mode, pattern, learning strategy, openness and
  proactivity, networks and dissemination, CSO support, migrant involvement, outreach, facilitators);
* **uncertainties** are behavioural parameters nobody chooses and the field has not measured
  (:data:`UNCERTAINTIES`: trust, knowledge transfer, forgetting, turnover, contact rates, CSO momentum);
* each parameter's EMA type and range come from the schema (:mod:`c2c_sim.config`): an int field is an
  ``IntegerParameter``, a float a ``RealParameter``, a bool a ``BooleanParameter``, a field with choices a
  ``CategoricalParameter``; the range is the schema's, or a narrower one named here (a programme of
  0-120 months rather than the schema's 0-100000), which is checked against the schema;
* **outcomes** are :data:`c2c_sim.OUTCOMES` (or those named), each a ``ScalarOutcome``;
* **replications** are a list of seeds (EMA's ``replications=[{"seed": s}, ...]``), spawned from one
  base seed with :func:`c2c_sim.replication_seeds`: distinct across replications, the same in every
  experiment (common random numbers), and reproducible; outcomes are aggregated over them with
  ``aggregate`` (the mean by default; ``None`` keeps one value per replication).

Parameters the model does not sample are fixed with keyword arguments (``months=60``,
``network="classic"``), passed to every run as EMA ``Constant``\\ s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .config import ConfigError, check_value, lookup_field, make_config
from .metrics import OUTCOMES
from .priors import UNCERTAIN
from .runner import replication_seeds, run

LEVERS: dict[str, tuple | None] = {
    "programme.duration": (0, 120),            # R5
    "programme.budget_per_year": (0.0, 200.0),  # support
    "programme.coherence": None,               # R1
    "programme.mode": None,                    # R3
    "programme.pattern": None,                 # R5 (piecemeal bursts)
    "programme.learning_strategy": None,       # R5
    "municipality.openness_north": None,       # R1
    "municipality.proactivity_north": None,    # R6
    "municipality.proactivity_south": None,    # R6
    "network.model": None,                     # R2
    "dissemination.internal_rate": None,       # R2
    "dissemination.external_rate": (0.0, 3.0),  # R2
    "cso.support": None,                       # R4
    "migrants.involvement": None,              # R7
    "migrants.outreach": (0.0, 0.2),           # R7
    "migrants.facilitator": None,              # R7
}
"""Policy parameters (dotted keys) and their sampled range (None: the schema's whole range)."""

UNCERTAINTIES: dict[str, tuple | None] = UNCERTAIN
"""Behavioural parameters (dotted keys) and their sampled range (None: the schema's whole range): the
model's one list of uncertain parameters, :data:`c2c_sim.priors.UNCERTAIN`."""


def flat_name(key: str) -> str:
    """The keyword name :func:`c2c_sim.run` takes for a dotted key (``trust.initial`` -> ``trust_initial``)."""
    return key.replace(".", "_")


def parameter(key: str, bounds: tuple | None = None):
    """The EMA parameter of one schema field, named by its flat keyword name, over ``bounds`` (checked
    against the schema) or the schema's range."""
    import ema_workbench as ema

    f = lookup_field(key)
    m = f.metadata
    name = flat_name(key)
    if m.get("choices"):
        choices = list(bounds or m["choices"])
        for c in choices:
            check_value(key, c, f)
        return ema.CategoricalParameter(name, choices)
    if f.type in (bool, "bool"):
        return ema.BooleanParameter(name)
    lo, hi = bounds if bounds is not None else (m.get("lo"), m.get("hi"))
    if lo is None or hi is None:
        raise ConfigError(f"{key} has no range in the schema: give bounds for it")
    lo, hi = check_value(key, lo, f), check_value(key, hi, f)
    if not lo < hi:
        raise ConfigError(f"{key}: the lower bound {lo} must be below the upper bound {hi}")
    if f.type in (int, "int"):
        return ema.IntegerParameter(name, lo, hi)
    return ema.RealParameter(name, lo, hi)


def model(name: str = "c2c", *, replications: int = 10, seed: int | None = None,
          levers: dict[str, tuple | None] | Iterable[str] | None = None,
          uncertainties: dict[str, tuple | None] | Iterable[str] | None = None,
          outcomes: Iterable[str] | None = None, aggregate: Callable | None = np.mean, **fixed: Any):
    """An ``ema_workbench.ReplicatorModel`` of c2c_sim.

    Args:
        replications: runs per experiment, each with its own seed spawned from ``seed``.
        seed: the base seed of the replications (default: the configuration's ``seed``).
        levers, uncertainties: dotted keys to sample (a list, or a dict key -> bounds or None for the
            schema's range); default :data:`LEVERS` and :data:`UNCERTAINTIES`. A key in both is an error.
        outcomes: outcome names (default all of :data:`c2c_sim.OUTCOMES`).
        aggregate: how an outcome's replications become one number (EMA's ``ScalarOutcome`` function;
            ``None`` keeps an array of one value per replication).
        **fixed: parameters every run gets (flat names or presets, as :func:`c2c_sim.run` takes them).

    Raises ConfigError for an unknown key or outcome, a bound outside the schema's range, or a
    parameter both sampled and fixed.
    """
    import ema_workbench as ema

    if replications < 1:
        raise ConfigError(f"replications={replications} must be at least 1")
    base = make_config(fixed)  # a fixed parameter that is wrong fails here, once
    seeds = replication_seeds(base.seed if seed is None else check_value("seed", seed), replications)
    lev, unc = _keys(levers, LEVERS), _keys(uncertainties, UNCERTAINTIES)
    both = sorted(set(lev) & set(unc))
    if both:
        raise ConfigError(f"{', '.join(both)} cannot be both a lever and an uncertainty")
    sampled = {flat_name(k) for k in [*lev, *unc]}
    clash = sorted(sampled & {flat_name(k) for k in fixed})
    if clash:
        raise ConfigError(f"{', '.join(clash)} is sampled and fixed at once: drop it from one of them")
    names = list(OUTCOMES if outcomes is None else outcomes)
    unknown = [o for o in names if o not in OUTCOMES]
    if unknown:
        raise ConfigError(f"unknown outcome(s) {', '.join(unknown)}: allowed {', '.join(OUTCOMES)}")
    m = ema.ReplicatorModel(name, function=run)
    m.levers = [parameter(k, b) for k, b in lev.items()]
    m.uncertainties = [parameter(k, b) for k, b in unc.items()]
    m.constants = [ema.Constant(k, v) for k, v in fixed.items()]
    m.outcomes = [ema.ScalarOutcome(o, function=aggregate) for o in names]
    m.replications = [{"seed": s} for s in seeds]
    return m


def _keys(given, default: dict[str, tuple | None]) -> dict[str, tuple | None]:
    if given is None:
        given = default
    out = dict(given) if isinstance(given, dict) else dict.fromkeys(given)
    for k in out:
        lookup_field(k)
    return out
