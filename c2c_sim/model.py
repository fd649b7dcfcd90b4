"""C2CModel: the Mesa model of mutual learning in city-to-city partnerships.

A thin Mesa face over :class:`~c2c_sim.engine.Engine` with one replication:
the engine owns the arrays and the order of a month (written out once, in
:meth:`c2c_sim.engine.Engine.step`); the model owns the Mesa agents (identities
with views into those arrays), the ``DataCollector`` and Mesa's seeded
generator, which it hands to the engine. ``C2CModel(rng=s)`` (or ``seed=s``) therefore gives
exactly the numbers of replication seed ``s`` in ``c2c_sim.run_replications``.

The model runs under ``mesa.batch_run`` as it is: its keyword parameters are
the flat names of :mod:`c2c_sim.config` (``trust_initial=0.3``,
``programme="long_term"``...), and it stops itself after ``months`` steps.
"""

from __future__ import annotations

import warnings
from typing import Any

import mesa
import numpy as np
import pandas as pd

from .agents import CSO, HigherGovernment, KnowledgeInstitution, LocalGovernment, Migrant
from .config import Config, counterfactual, make_config
from .engine import Engine
from .metrics import CAUSED_NAMES, DOMAIN_OUTCOMES, SOURCE_OUTCOMES, STEP_OUTCOMES, caused_outcomes
from .world import Kind, World, to_networkx


class C2CModel(mesa.Model):
    """Local governments, CSOs and migrants learning from each other over partnership ties.

    Args:
        config: a validated :class:`~c2c_sim.config.Config` (else built from ``params``).
        rng: the seed of the model's generator, the Mesa >= 3.4 way (an int; everything random
            derives from it), or a numpy ``Generator`` to use as it is.
        seed: the same as an int ``rng`` (Mesa 3.3's name; accepted on every Mesa without its
            deprecation warning). As in Mesa, a model given neither (nor a ``config``) draws a fresh
            seed, so ``mesa.batch_run`` iterations differ; ``model.seed`` and the ``seed`` column of
            every ``DataCollector`` (and so ``batch_run``) row tell which, so any row can be rerun
            alone with ``C2CModel(rng=row["seed"], **its parameters)``. A ``config`` fixes the seed
            to ``config.seed``.
        scenario_preset: a scenario preset name (``"zeist_berkane"``); ``scenario=<name>`` still works
            but is deprecated, because ``mesa.Model`` (>= 3.4) takes ``scenario`` for its own
            ``Scenario`` objects, which are passed on to it.
        **params: flat parameter names or preset names, see :func:`c2c_sim.config.make_config`.

    ``seed`` is not in the signature on purpose: ``mesa.batch_run`` (>= 3.4) passes its ``rng``
    values under the name ``seed`` when the model's signature has one, which would overwrite a
    ``seed`` given in ``parameters``; so ``parameters={"seed": 5}`` and ``rng=[5]`` both work.
    """

    def __init__(self, config: Config | None = None, *, rng: Any = None, scenario_preset: str | None = None,
                 scenario: Any = None, **params: Any) -> None:
        seed = params.pop("seed", None)
        if seed is not None and rng is not None:
            raise TypeError("give either seed or rng, not both (they mean the same)")
        mesa_scenario = None
        if isinstance(scenario, str):
            warnings.warn("C2CModel(scenario=...) is deprecated: it collides with mesa.Model's scenario; "
                          f"use C2CModel(scenario_preset={scenario!r})", DeprecationWarning, stacklevel=2)
            if scenario_preset is not None:
                raise TypeError("give scenario_preset or scenario, not both")
            scenario_preset = scenario
        elif scenario is not None:
            mesa_scenario = scenario  # a mesa.experimental Scenario (e.g. from SolaraViz's Reset)
        if scenario_preset is not None:
            params["scenario"] = scenario_preset
        if config is not None and params:
            raise TypeError("give either config or keyword parameters, not both")
        cfg = config if config is not None else make_config(params)
        if mesa_scenario is not None and seed is None and rng is None:
            rng = getattr(mesa_scenario, "rng", None)  # Mesa: the scenario's rng seeds the model
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            seed, rng = rng, None
        if seed is None and rng is None:
            seed = cfg.seed if config is not None else \
                int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        self.seed = None if seed is None else int(seed)
        """The integer seed of the model's generator (None when it was given a ``Generator``)."""
        rng = self.seed if rng is None else rng
        if mesa_scenario is not None and getattr(mesa_scenario, "rng", None) is None:
            mesa_scenario.rng = rng  # as mesa.Model does when it makes the scenario itself
        kwargs = {"scenario": mesa_scenario} if mesa_scenario is not None else {}
        # an int rng gives the same streams as seed= on Mesa 3.3 to 3.5, without 3.4's deprecation warning
        super().__init__(rng=rng, **kwargs)
        self.config = cfg
        self.engine = Engine(cfg, [self.rng])
        self.twin = None
        """With ``caused=true``: the engine of the run's twin (the same seed and world, no partnership
        activity, :func:`c2c_sim.config.counterfactual`), stepped alongside; the ``*_caused`` outcomes
        are the run's minus the twin's, month by month (``circulation_caused`` on the run's current
        non-participants in both)."""
        if cfg.caused:
            if self.seed is None:
                raise TypeError("caused=true needs an integer seed (the twin draws the same numbers), not a Generator")
            self.twin = Engine(counterfactual(cfg), [np.random.default_rng(self.seed)])
        self._create_agents()
        self._outcomes_of: dict | None = None  # the engine's metrics dict that _outcomes was made from
        names = STEP_OUTCOMES + DOMAIN_OUTCOMES + SOURCE_OUTCOMES + (CAUSED_NAMES if cfg.caused else ())
        reporters = {k: (lambda m, k=k: m._month_outcomes()[k]) for k in names}
        self.datacollector = mesa.DataCollector(model_reporters={"seed": lambda m: m.seed, **reporters})
        self.datacollector.collect(self)

    @property
    def world(self) -> World:
        """The state arrays (knowledge, trust, ties...)."""
        return self.engine.world

    @property
    def month(self) -> int:
        return self.engine.month

    @property
    def metrics(self) -> dict[str, float]:
        """This month's outcomes."""
        return dict(self._month_outcomes())

    def _month_outcomes(self) -> dict[str, float]:
        """This month's outcomes as floats, converted once a month (every DataCollector reporter reads them)."""
        if self._outcomes_of is not self.engine.metrics:  # the engine makes a new dict every month
            self._outcomes_of = self.engine.metrics
            self._outcomes = {k: float(v[0]) for k, v in self._outcomes_of.items()}
            if self.twin is not None:
                self._outcomes.update({k: float(v[0]) for k, v in caused_outcomes(self._outcomes_of,
                                                                                  self.twin.metrics).items()})
                # the twin measured on the run's people: its staff never travel (as runner._simulate does at
                # the end; stepping alongside, this model can do it every month)
                circulation_twin = self.twin.circulation_among(self.engine.state.actors.participated)[0]
                self._outcomes["circulation_caused"] = self._outcomes["circulation"] - float(circulation_twin)
        return self._outcomes

    def _create_agents(self) -> None:
        w = self.world
        LocalGovernment.create_agents(self, w.n_munis, municipality=np.arange(w.n_munis))
        for cls, kind in ((CSO, Kind.CSO), (Migrant, Kind.MIGRANT), (HigherGovernment, Kind.HIGHER_GOVERNMENT),
                          (KnowledgeInstitution, Kind.KNOWLEDGE_INSTITUTION)):
            rows = np.flatnonzero(w.kind == kind)
            if len(rows):
                cls.create_agents(self, len(rows), row=rows)

    def step(self) -> None:
        """One month (see :meth:`c2c_sim.engine.Engine.step` for the order of its phases)."""
        self.engine.step()
        if self.twin is not None:
            self.twin.step()
        self.datacollector.collect(self)
        if self.engine.month >= self.config.months:
            self.running = False

    def run(self) -> C2CModel:
        """Step to the configured horizon."""
        while self.running:
            self.step()
        return self

    def series(self) -> pd.DataFrame:
        """The per-month outcomes (month 0 is the starting state)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "month", np.arange(len(df)))
        return df

    def network(self):
        """The tie network now, as a networkx graph."""
        return to_networkx(self.world)
