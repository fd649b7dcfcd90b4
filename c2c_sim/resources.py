"""Where the package's data folders are: ``configs/`` (Hydra) and ``experiments/`` (the experiment modules).

Both live at the top of the source checkout (the brief's layout). A built wheel (``pip install .``)
ships them inside the package as ``c2c_sim/configs`` and ``c2c_sim/experiments`` (a ``package-dir``
mapping in ``pyproject.toml``), so an installed package finds them with :mod:`importlib.resources`;
a checkout (an editable install, or ``PYTHONPATH``) finds them beside the package.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

PACKAGE = "c2c_sim"


def packaged(name: str) -> Path | None:
    """The folder ``name`` shipped inside the installed package (a wheel), or None in a checkout."""
    path = Path(str(importlib.resources.files(PACKAGE))) / name
    return path if path.is_dir() else None


def data_dir(name: str) -> Path:
    """The folder ``name`` (``configs`` or ``experiments``): the installed package's copy, else the checkout's."""
    return packaged(name) or Path(__file__).resolve().parents[1] / name


def hydra_config_path() -> str:
    """The ``config_path`` for ``hydra.main``: Hydra's ``pkg://`` search path in an installed package,
    the absolute folder in a checkout."""
    return f"pkg://{PACKAGE}.configs" if packaged("configs") else str(data_dir("configs"))
