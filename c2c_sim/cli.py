"""The ``c2c-sim`` command: a Hydra app that runs a scenario's replications into a results folder.

Before Hydra creates any folder, :func:`preflight` checks every override on the
command line (keys, types, ranges, preset names) and composes the resulting
configuration(s), so bad input ends with one line on stderr, exit code 2 and
nothing written.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from .config import CONFIG_DIR, GROUPS, ConfigError, check_value, list_presets, lookup_field, register_configs, validate

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


def preflight(argv: list[str], config_name: str = "config") -> None:
    """Validate command-line overrides and the composed config(s); exit 2 with one line if anything is wrong."""
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    parser = get_args_parser()

    def one_line(message: str) -> None:
        fail(f"{message} (options such as -m go before the overrides: c2c-sim [-m] key=value ...)")

    parser.error = one_line  # argparse would print its usage over several lines
    args = parser.parse_args(argv)
    if args.help or args.hydra_help or args.info or args.shell_completion:
        return
    try:
        overrides = OverridesParser.create().parse_overrides(args.overrides)
    except HydraException as exc:
        fail(f"cannot parse overrides: {str(exc).splitlines()[0]}")
    choices: list[list[str]] = []
    for ov in overrides:
        key = ov.key_or_group
        if key.startswith("hydra") or ov.is_delete():
            choices.append([ov.input_line])
            continue
        values = _values(ov)
        try:
            if key in GROUPS:
                allowed = list_presets(key)
                for v in values:
                    if str(v) not in allowed:
                        raise ConfigError(f"unknown {key} preset '{v}': allowed {', '.join(allowed)}")
            else:
                f = lookup_field(key)
                for v in values:
                    check_value(key, v, f)
        except ConfigError as exc:
            fail(str(exc))
        if ov.is_sweep_override() and values:
            choices.append([f"{key}={v}" for v in values])
        else:
            choices.append([ov.input_line])
    combos = list(itertools.islice(itertools.product(*choices), MAX_PREFLIGHT_COMPOSE))
    _compose_and_validate(combos, config_name, multirun=args.multirun)


def _compose_and_validate(combos: list[tuple[str, ...]], config_name: str, multirun: bool) -> None:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        for combo in combos:
            ovs = [o for o in combo if not o.startswith("hydra")]
            try:
                cfg = compose(config_name=config_name, overrides=ovs)
                validate(cfg)
            except ConfigError as exc:
                fail(str(exc) + (f" (in {' '.join(combo)})" if multirun and combo else ""))
            except (HydraException, OmegaConfBaseException) as exc:
                fail(" ".join(str(exc).split("\n")[:2]).strip())
    GlobalHydra.instance().clear()


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

    preflight(sys.argv[1:])
    register_configs()
    app = hydra.main(config_path=str(CONFIG_DIR), config_name="config", version_base="1.3")(_task)
    app()


if __name__ == "__main__":
    main()
