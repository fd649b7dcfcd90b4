"""The ``c2c-sim`` command: a Hydra app that runs a scenario's replications into a results folder.

Before Hydra creates any folder, :func:`preflight` checks every override on the
command line (keys, types, ranges, preset names, and the scenario files of one's
own that they choose) and composes the resulting configuration(s), so bad input
ends with one line on stderr, exit code 2 and nothing written.
``--scenario-dir DIR`` puts a folder of one's own scenarios on Hydra's search
path (:mod:`c2c_sim.scenarios`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from . import scenarios
from .config import CONFIG_DIR, ConfigError, check_value, lookup_field, register_configs, validate
from .resources import hydra_config_path

EXIT_BAD_INPUT = 2
SUMMARY_COLUMNS = ("learning_gain_north", "learning_gain_south", "mutuality", "institutionalised_share",
                   "mean_trust", "initiative_survival_months", "policy_adoptions", "circulation",
                   "activity_after_programme")
MAX_PREFLIGHT_COMPOSE = 256
JOB_FIGURE_ENV = "C2C_SIM_JOB_FIGURE"
"""Set to 0 to skip each job's learning-over-time figure (c2c-sim-experiment does: it draws its own)."""


def fail(message: str) -> None:
    print(f"c2c-sim: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


def _values(override) -> list:
    if override.is_sweep_override():
        try:
            return list(override.sweep_string_iterator())
        except Exception:  # interval sweeps (for optimisers) have no finite list; ranges are checked per value
            return []
    return [override.value()]


HYDRA_FLAGS = {
    "--help": 0, "-h": 0, "--hydra-help": 0, "--version": 0, "--cfg": 1, "-c": 1, "--resolve": 0,
    "--package": 1, "-p": 1, "--run": 0, "-r": 0, "--multirun": 0, "-m": 0, "--shell-completion": 0, "-sc": 0,
    "--config-path": 1, "-cp": 1, "--config-name": 1, "-cn": 1, "--config-dir": 1, "-cd": 1,
    "--experimental-rerun": 1, "--info": "?", "-i": "?",
}
"""Hydra 1.3's command-line flags (``c2c-sim --hydra-help`` lists them; a test checks this table against
it) and how many values each takes. Hydra's own parser is not public API, and the preflight needs only
to tell the flags from the overrides."""
INFO_CHOICES = ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath")
RERUN_FLAG = "--rerun"


@dataclass
class Arguments:
    """A c2c-sim command line split into Hydra's flags and the overrides."""

    flags: dict[str, str | None]
    overrides: list[str]
    positions: list[int]  # where each override stands in argv

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    def get(self, *names: str) -> str | None:
        return next((self.flags[n] for n in names if n in self.flags), None)

    @property
    def multirun(self) -> bool:
        return self.has("--multirun", "-m")


def parse_arguments(argv: list[str]) -> Arguments:
    """Split ``argv`` as Hydra's parser would (flags anywhere, ``--flag=value`` or ``--flag value``)."""
    flags: dict[str, str | None] = {}
    overrides: list[str] = []
    positions: list[int] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if not arg.startswith("-") or arg == "-":
            overrides.append(arg)
            positions.append(i)
        elif name not in HYDRA_FLAGS:
            fail(f"unknown option '{name}': allowed {', '.join(k for k in HYDRA_FLAGS if k.startswith('--'))}, "
                 f"{RERUN_FLAG}, {scenarios.DIR_FLAG} (options such as -m go before the overrides: "
                 f"c2c-sim [-m] key=value ...)")
        elif eq:
            flags[name] = inline
        elif HYDRA_FLAGS[name] == 1:
            if i + 1 >= len(argv):
                fail(f"option {name} needs a value")
            flags[name] = argv[i + 1]
            i += 1
        elif HYDRA_FLAGS[name] == "?" and i + 1 < len(argv) and argv[i + 1] in INFO_CHOICES:
            flags[name] = argv[i + 1]
            i += 1
        else:
            flags[name] = None
        i += 1
    return Arguments(flags, overrides, positions)


def check_override(ov, dirs: list[Path], groups: list[str]) -> list:
    """The checked values of one parsed override (a group's presets, including one's own files in the
    search-path folders ``dirs``, or a schema key's values, coerced to its type); raises ConfigError."""
    key = ov.key_or_group
    values = _values(ov)
    if key in groups:
        for v in values:
            scenarios.check_choice(key, str(v), dirs)
        return values
    f = lookup_field(key)
    return [check_value(key, v, f) for v in values]


def preflight(argv: list[str], config_name: str = "config") -> list[str]:
    """Validate command-line overrides and the composed config(s); exit 2 with one line if anything is wrong.

    Returns the command line to hand to Hydra: the same, with whole floats given to integer parameters
    written as ints (``programme.duration=48.0`` is 48, as in ``c2c_sim.make_config``; Hydra's schema
    would refuse it)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    args = parse_arguments(argv)
    if args.has("--help", "-h", "--hydra-help", "--version", "--info", "-i", "--shell-completion", "-sc"):
        return argv
    for flag in args.flags:
        if flag in ("--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--experimental-rerun"):
            fail(f"{flag} is not supported: c2c-sim composes its own configs/ (presets via network=, programme=, "
                 f"scenario=, experiment=); to run a saved run's configuration again use "
                 f"c2c-sim {RERUN_FLAG} <run folder> [key=value ...]; for scenario files of your own use "
                 f"{scenarios.DIR_FLAG} <folder with a scenario/ subfolder>")
    try:
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except HydraException as exc:
        fail(f"cannot parse overrides: {str(exc).splitlines()[0]}")
    try:
        dirs = scenarios.search_dirs(args.overrides)
    except ConfigError as exc:
        fail(str(exc))
    groups = scenarios.groups(dirs)
    choices: list[list[str]] = []
    argv = list(argv)
    for pos, ov in zip(args.positions, overrides):
        key = ov.key_or_group
        if key.startswith("hydra") or ov.is_delete():
            choices.append([ov.input_line])
            continue
        try:
            checked, values = check_override(ov, dirs, groups), _values(ov)
            if key not in groups and lookup_field(key).type in (int, "int") and \
                    list(map(str, values)) != list(map(str, checked)) and \
                    (not ov.is_sweep_override() or ov.is_discrete_sweep()):
                values = checked
                argv[pos] = f"{ov.get_key_element()}={','.join(map(str, checked))}"
                ov = OverridesParser.create().parse_overrides([argv[pos]])[0]
        except ConfigError as exc:
            fail(str(exc))
        if ov.is_sweep_override() and values:
            choices.append([f"{ov.get_key_element()}={v}" for v in values])
        else:
            choices.append([ov.input_line])
    combos = list(itertools.islice(itertools.product(*choices), MAX_PREFLIGHT_COMPOSE))
    _compose_and_validate(combos, config_name, multirun=args.multirun)
    return argv


def override_value(value) -> str:
    """A value in Hydra's override grammar that parses back to exactly ``value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text:  # Hydra's grammar wants no leading zeros in an exponent (1e-05 -> 1e-5)
            mantissa, exp = text.split("e")
            text = f"{mantissa}e{int(exp)}"
        return text
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def rerun_overrides(folder: str | Path) -> list[str]:
    """The overrides that make ``c2c-sim`` compose exactly the configuration saved in a run folder
    (every value that differs from the defaults), so the rerun gives the same tables bit for bit."""
    from .config import Config, flatten, load_config

    try:
        saved = flatten(load_config(folder))
    except ConfigError as exc:
        fail(str(exc))
    defaults = flatten(Config())
    return [f"{k}={override_value(v)}" for k, v in saved.items() if v != defaults[k] or type(v) is not type(defaults[k])]


def pop_option(argv: list[str], flag: str, what: str) -> tuple[list[str], list[str]]:
    """``argv`` without every ``flag VALUE`` (or ``flag=VALUE``), and the VALUEs, in order."""
    out: list[str] = []
    found: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == flag or arg.startswith(flag + "="):
            if arg == flag and i + 1 >= len(argv):
                fail(f"{flag} needs {what}")
            found.append(argv[i + 1] if arg == flag else arg.split("=", 1)[1])
            i += arg == flag
        else:
            out.append(arg)
        i += 1
    return out, found


def expand_rerun(argv: list[str]) -> list[str]:
    """``--rerun FOLDER`` (or ``--rerun=FOLDER``) replaced by the overrides of that run's saved configuration
    (see :func:`rerun_overrides`); overrides given after it change the rerun (``replications=50``)."""
    from .storage import provenance, read_provenance

    out, found = pop_option(argv, RERUN_FLAG, "a run folder (one with config.yaml)")
    for folder in found:
        out[:0] = rerun_overrides(folder)  # before anything else, so later overrides win
        saved, now = read_provenance(folder), provenance()
        note = f"c2c-sim: rerunning {folder}"
        if saved and saved != now:
            note += f" (saved by {_describe(saved)}; this is {_describe(now)}: results can differ)"
        print(note, file=sys.stderr)
    return out


def expand_scenario_dirs(argv: list[str]) -> list[str]:
    """``--scenario-dir DIR`` (repeatable, or ``--scenario-dir=DIR``) replaced by one ``hydra.searchpath``
    override listing every such folder (after those of a ``hydra.searchpath`` override already given)."""
    out, found = pop_option(argv, scenarios.DIR_FLAG, "a folder (one with a scenario/ subfolder)")
    if not found:
        return out
    try:
        roots = [scenarios.config_root(folder) for folder in found]
        given = [j for j, a in enumerate(out) if a.lstrip("+~").startswith(scenarios.SEARCHPATH + "=")]
        before = scenarios.search_dirs([out[j] for j in given])
    except ConfigError as exc:
        fail(str(exc))
    return [*(a for j, a in enumerate(out) if j not in given), scenarios.searchpath_override([*before, *roots])]


def _describe(info: dict) -> str:
    return f"c2c_sim {info.get('c2c_sim_version')}" + (f" at commit {info['git_commit']}" if info.get("git_commit") else "")


@contextlib.contextmanager
def composing():
    """Hydra's ``compose`` on the package's ``configs/`` (the schema registered), cleared afterwards: the
    configuration a command line would run (add ``hydra.searchpath=[...]`` for folders of one's own)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            yield compose
    finally:
        GlobalHydra.instance().clear()


def _compose_and_validate(combos: list[tuple[str, ...]], config_name: str, multirun: bool) -> None:
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    with composing() as compose:
        for combo in combos:
            ovs = [o for o in combo if not o.startswith("hydra") or o.startswith(scenarios.SEARCHPATH)]
            try:
                cfg = compose(config_name=config_name, overrides=ovs)
                validate(cfg)
            except ConfigError as exc:
                fail(str(exc) + (f" (in {' '.join(combo)})" if multirun and combo else ""))
            except (HydraException, OmegaConfBaseException) as exc:
                fail(" ".join(str(exc).split("\n")[:2]).strip())


def summary_table(summary: pd.DataFrame, columns=SUMMARY_COLUMNS) -> pd.DataFrame:
    """Mean and normal-approximation 95 % CI of the main outcomes over replications."""
    rows = []
    for c in columns:
        x = summary[c].dropna().to_numpy(dtype=float)
        if x.size == 0:
            rows.append((c, np.nan, np.nan, np.nan, 0))
            continue
        half = 1.96 * x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else np.nan
        rows.append((c, x.mean(), x.mean() - half, x.mean() + half, x.size))
    return pd.DataFrame(rows, columns=["outcome", "mean", "ci95_lo", "ci95_hi", "n"]).set_index("outcome")


def run_job(cfg: DictConfig, out_dir: Path, progress: bool = True, figure: bool = True) -> pd.DataFrame:
    """Run one configuration's replications into ``out_dir`` (skipped if already done); return the summary.

    ``figure``: draw the job's learning-over-time figure (single runs do; sweep jobs do not, their
    figures come from the experiments, which saves matplotlib's cost per job).
    """
    from .runner import run_replications
    from .storage import TABLES, is_done, read_table, write_job

    try:
        config = validate(cfg)
    except ConfigError as exc:
        fail(str(exc))
    out_dir = Path(out_dir)
    if is_done(out_dir, config):
        print(f"c2c-sim: {out_dir} is already done; skipping (delete {out_dir / 'DONE.json'} to rerun)")
        return read_table(out_dir, "summary")
    t0 = time.perf_counter()
    res = run_replications(config, progress=progress)
    if figure and os.environ.get(JOB_FIGURE_ENV, "1") != "0":  # experiments may also switch it off
        from .plotting import learning_by_channel, learning_over_time

        learning_over_time(res.series, out_dir / "learning_over_time", title=config.name)
        learning_by_channel(res.series, out_dir / "learning_by_channel", title=config.name)
    write_job(out_dir, config, {name: getattr(res, name) for name in TABLES},
              extra={"seconds": round(time.perf_counter() - t0, 3)})
    return res.summary


def _task(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from .storage import write_failure

    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    try:
        summary = run_job(cfg, out_dir, progress=sys.stderr.isatty(), figure=hc.mode != RunMode.MULTIRUN)
    except (Exception, SystemExit) as exc:  # leave a trace for c2c-sim-collect, then fail as before
        write_failure(out_dir, exc)
        raise
    table = summary_table(summary)
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 120):
        print(f"\n{cfg.name}: {len(summary)} replications, {cfg.months} months -> {out_dir}")
        print(table.to_string())
    return float(table.loc["learning_gain_south", "mean"] + table.loc["learning_gain_north", "mean"])


def main() -> None:
    """Console entry point ``c2c-sim``."""
    import hydra

    argv = preflight(expand_rerun(expand_scenario_dirs(sys.argv[1:])))
    register_configs()
    sys.argv = [sys.argv[0], *argv]
    app = hydra.main(config_path=hydra_config_path(), config_name="config", version_base="1.3")(_task)
    app()


if __name__ == "__main__":
    main()
