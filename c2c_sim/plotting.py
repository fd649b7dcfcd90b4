"""Figures for papers: one style, colour-blind-safe colours, CI bands, journal widths, vector output.

Plotting reads tidy tables (pandas) and never imports the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import logging  # noqa: E402

logging.getLogger("fontTools").setLevel(logging.WARNING)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .storage import atomic_write  # noqa: E402

# Okabe-Ito palette (colour-blind safe)
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
SINGLE_COLUMN = 3.35  # inches (85 mm)
DOUBLE_COLUMN = 6.9  # inches (175 mm)

STYLE = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7, "xtick.labelsize": 7,
    "ytick.labelsize": 7, "axes.spines.top": False, "axes.spines.right": False, "axes.prop_cycle":
    matplotlib.cycler(color=PALETTE), "lines.linewidth": 1.2, "legend.frameon": False, "pdf.fonttype": 42,
    "ps.fonttype": 42, "savefig.bbox": "tight", "savefig.dpi": 300, "figure.dpi": 100,
}


def paper_style() -> None:
    """Apply the paper style to matplotlib."""
    plt.rcParams.update(STYLE)


def mean_band(df: pd.DataFrame, x: str, y: str, by: str | None = None) -> pd.DataFrame:
    """Mean of ``y`` per ``x`` (and group) with a normal-approximation 95 % band over replications."""
    keys = [x] + ([by] if by else [])
    g = df.groupby(keys)[y]
    out = g.agg(["mean", "std", "count"]).reset_index()
    half = 1.96 * out["std"].fillna(0.0) / np.sqrt(out["count"].clip(lower=1))
    out["lo"], out["hi"] = out["mean"] - half, out["mean"] + half
    return out


def band_plot(ax: plt.Axes, df: pd.DataFrame, x: str, y: str, label: str, color: str) -> None:
    """A mean line with its 95 % band on ``ax``."""
    s = mean_band(df, x, y)
    ax.plot(s[x], s["mean"], label=label, color=color)
    ax.fill_between(s[x], s["lo"], s["hi"], color=color, alpha=0.2, linewidth=0)


def save(fig: plt.Figure, path_stem: Path | str, formats: Sequence[str] = ("pdf", "png")) -> list[Path]:
    """Save ``fig`` as PDF (vector) and PNG, atomically; close it."""
    out = []
    for fmt in formats:
        target = Path(f"{path_stem}.{fmt}")
        out.append(atomic_write(target, lambda p, fmt=fmt: fig.savefig(p, format=fmt)))
    plt.close(fig)
    return out


def learning_over_time(series: pd.DataFrame, path_stem: Path | str, title: str | None = None) -> list[Path]:
    """Default figure: mean learning gain per side over time with 95 % bands (North vs South)."""
    paper_style()
    fig, ax = plt.subplots(figsize=(SINGLE_COLUMN, 2.3))
    band_plot(ax, series, "month", "learning_gain_north", "North (Netherlands)", PALETTE[0])
    band_plot(ax, series, "month", "learning_gain_south", "South (Morocco, Turkey)", PALETTE[1])
    ax.set_xlabel("month")
    ax.set_ylabel("mean knowledge gain")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left")
    return save(fig, path_stem)
