"""c2c_sim: an agent-based model of mutual learning in city-to-city partnerships.

Entry points for other tools:

* ``c2c_sim.run(**params, seed=...) -> dict`` of outcomes for one replication;
* ``c2c_sim.C2CModel(**params, seed=...)``, a Mesa model (runs under ``mesa.batch_run``);
* ``c2c_sim.run_replications(...)`` for tidy tables of many replications;
* ``c2c_sim.load_config(run_folder)``: the configuration a run saved, to run it again;
* ``c2c_sim.compare({"baseline": {...}, "outreach": {...}})``: paired effects of policy scenarios against
  the first (:mod:`c2c_sim.compare`; the ``c2c-sim-compare`` command);
* ``c2c_sim.ema.model()``: an EMA Workbench model.

``C2CModel`` and ``compare`` are imported on first use, so code that only runs the engine
(sweep jobs, for instance) does not pay for importing Mesa.
"""

from .config import Config, ConfigError, load_config, make_config
from .metrics import OUTCOMES
from .runner import RunResult, replication_seeds, run, run_replications, simulate

__all__ = [
    "OUTCOMES",
    "C2CModel",
    "Config",
    "ConfigError",
    "RunResult",
    "compare",
    "load_config",
    "make_config",
    "replication_seeds",
    "run",
    "run_replications",
    "simulate",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "C2CModel":
        from .model import C2CModel

        return C2CModel
    if name == "compare":  # the module c2c_sim.compare, which is callable: c2c_sim.compare(...) is its compare()
        import importlib

        return importlib.import_module(".compare", __name__)
    raise AttributeError(f"module 'c2c_sim' has no attribute {name!r}")
