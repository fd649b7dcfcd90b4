"""Scenario files of one's own: folders on Hydra's search path, checked by the same schema as the presets.

A folder of one's own scenarios has the layout of ``configs/``, one subfolder per config group::

    my_scenarios/
      scenario/my_policy.yaml     # c2c-sim --scenario-dir my_scenarios scenario=my_policy
      programme/my_fund.yaml      # (optional) programme=my_fund

``--scenario-dir DIR`` (``c2c-sim``, ``c2c-sim-compare``) puts ``DIR`` on Hydra's search path
(``hydra.searchpath=[file://DIR]``, which may also be given as it is), after the package's own
``configs/``, so ``scenario=my_policy`` finds ``DIR/scenario/my_policy.yaml`` in a checkout and after a
plain ``pip install .`` alike, and so does every job of a sweep (``c2c-sim -m ...``). A scenario file is
written like a preset (``configs/scenario/*.yaml``): ``# @package _global_`` on its first line, then only
what changes; a ``defaults`` list may pick other presets (``- override /programme: none``).

Before anything runs, :func:`check_file` reads a chosen file of one's own with the schema of
:mod:`c2c_sim.config` (keys, types, ranges), so a typo ends with the usual one-line error, prefixed by the
file's path. A file of one's own with the name of a built-in preset is refused: Hydra would pick the
package's file first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from .config import CONFIG_DIR, GROUPS, ConfigError, check_value, list_presets, lookup_field

DIR_FLAG = "--scenario-dir"
SEARCHPATH = "hydra.searchpath"
GLOBAL_HEADER = "# @package _global_"
_SUFFIXES = (".yaml", ".yml")


def _is_file_uri(entry: str) -> bool:
    return entry.startswith("file://") or "://" not in entry


def search_dirs(overrides: list[str]) -> list[Path]:
    """The folders of a ``hydra.searchpath=[...]`` override among ``overrides`` (``file://`` entries and plain
    paths; ``pkg://`` entries are Hydra's business), in order."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    dirs: list[Path] = []
    for line in overrides:
        if not line.lstrip("+~").startswith(SEARCHPATH + "="):
            continue
        try:
            value = OverridesParser.create().parse_override(line).value()
        except Exception as exc:
            raise ConfigError(f"cannot parse {line!r}: {str(exc).splitlines()[0]}") from None
        for entry in value if isinstance(value, list) else [value]:
            entry = str(entry)
            if _is_file_uri(entry):
                dirs.append(Path(entry.removeprefix("file://")))
    return dirs


def config_root(folder: str | Path) -> Path:
    """The search-path folder that ``--scenario-dir folder`` names (absolute), or ConfigError saying why not."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"{DIR_FLAG} '{folder}' is not a folder: give a folder with a scenario/ subfolder "
                          f"of YAML files (my_scenarios/scenario/my_policy.yaml -> scenario=my_policy)")
    path = path.resolve()
    if path.name in GROUPS and not any((path / g).is_dir() for g in GROUPS):
        return path.parent  # the scenario/ folder itself was named
    if not any((path / g).is_dir() for g in GROUPS):
        loose = sorted(p.name for p in path.iterdir() if p.suffix in _SUFFIXES)
        found = f" (found {', '.join(loose[:3])} directly in it: move them into {path / 'scenario'})" if loose else ""
        raise ConfigError(f"{DIR_FLAG} '{folder}' has no scenario/ subfolder{found}; put each scenario in "
                          f"<folder>/scenario/<name>.yaml and choose it with scenario=<name>")
    return path


def searchpath_override(dirs: list[Path]) -> str:
    """``hydra.searchpath=['file:///a','file:///b']`` for ``dirs`` (quoted: paths may hold characters that
    Hydra's grammar reserves)."""
    def quote(p: Path) -> str:
        return "'file://" + str(Path(p).resolve()).replace("\\", "\\\\").replace("'", "\\'") + "'"

    return f"{SEARCHPATH}=[{','.join(quote(d) for d in dirs)}]"


def groups(dirs: list[Path]) -> list[str]:
    """The config groups: the package's, and any other subfolder of a search-path folder that holds YAML files."""
    out = list(GROUPS)
    for d in dirs:
        if d.is_dir():
            out += sorted(p.name for p in d.iterdir() if p.is_dir() and any(p.glob("*.yaml")) and p.name not in out)
    return out


def presets(group: str, dirs: list[Path]) -> list[str]:
    """Every option of ``group``: the package's presets, then those in the search-path folders."""
    names = list_presets(group)
    for d in dirs:
        names += sorted(p.stem for p in (d / group).glob("*.yaml") if p.stem not in names)
    return names


def own_file(group: str, name: str, dirs: list[Path]) -> Path | None:
    """The file of one's own that ``group=name`` picks from the search-path folders (None: a built-in preset)."""
    for d in dirs:
        path = d / group / f"{name}.yaml"
        if path.is_file():
            return path
    return None


def check_choice(group: str, name: str, dirs: list[Path]) -> None:
    """Check ``group=name`` before Hydra composes it: a known option; a file of one's own must not share a
    built-in preset's name (Hydra would silently pick the package's) and must pass :func:`check_file`."""
    allowed = presets(group, dirs)
    if name not in allowed:
        where = f" (looked in {', '.join(str(d / group) for d in dirs)} too)" if dirs else ""
        raise ConfigError(f"unknown {group} preset '{name}': allowed {', '.join(allowed) or 'none'}{where}")
    mine = own_file(group, name, dirs)
    if mine is not None and (CONFIG_DIR / group / f"{name}.yaml").is_file():
        raise ConfigError(f"{mine}: a {group} of your own named '{name}' is shadowed by the built-in preset of "
                          f"that name (Hydra picks the package's first); rename your file")
    if mine is not None:
        check_file(mine, group)


def check_file(path: str | Path, group: str = "scenario") -> dict[str, Any]:
    """Read a preset file of one's own with the schema: every key known, every value of its type and in its
    range (interpolations are left to the composed configuration's check); return its values (without the
    ``defaults`` list). Raises ConfigError, prefixed by the file's path, with the schema's one-line message."""
    path = Path(path)
    try:
        text = path.read_text()
        data = OmegaConf.to_container(OmegaConf.create(text), resolve=False) if text.strip() else {}
    except Exception as exc:  # unreadable, or not YAML
        raise ConfigError(f"{path}: not a readable YAML file ({type(exc).__name__}: "
                          f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: holds no mapping of parameters")
    data.pop("defaults", None)
    global_ = any(line.strip() == GLOBAL_HEADER for line in text.splitlines()[:5])
    if group == "scenario" and not global_ and data:
        raise ConfigError(f"{path}: a scenario file starts with the line '{GLOBAL_HEADER}' (its keys are "
                          f"top-level parameters such as trust.initial or programme.duration)")
    prefix = "" if global_ or group not in ("network", "programme") else group + "."
    try:
        for key, value in _leaves(data, prefix):
            f = lookup_field(key)
            if not (isinstance(value, str) and "${" in value):
                check_value(key, value, f)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return data


def _leaves(node: dict, prefix: str = ""):
    """(dotted key, value) of every leaf: sections, fields and a profile's domains (``knowledge.staff_north.environment``)."""
    for k, v in node.items():
        if isinstance(v, dict) and v:
            yield from _leaves(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v
