"""Figures for papers: one style, colour-blind-safe colours, CI bands, journal widths, vector output.

Plotting reads tidy tables (pandas) and never imports the model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files: no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .storage import atomic_write  # noqa: E402

logging.getLogger("fontTools").setLevel(logging.WARNING)  # Hydra logs at INFO; silence font subsetting

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
    ax.legend(loc="best")  # clear of the curves, wherever the South peaks
    return save(fig, path_stem)


def learning_by_channel(series: pd.DataFrame, path_stem: Path | str, title: str | None = None) -> list[Path]:
    """Where learning came from: per side, the mean cumulative learning gain stacked by channel over time
    (the ``learning_<side>_from_<channel>`` columns; gains above zero, losses to turnover and forgetting
    below), with the net gain as a line: the channels add up to it."""
    paper_style()
    fig, axes = panels(2, width=DOUBLE_COLUMN, height=2.4, sharey=True)
    names = {"north": "North (Netherlands)", "south": "South (Morocco, Turkey)"}
    for ax, letter, side in zip(axes, "ab", names):
        prefix = f"learning_{side}_from_"
        cols = [c for c in series.columns if c.startswith(prefix)]
        mean = series.groupby("month")[cols + [f"learning_gain_{side}"]].mean()
        x = mean.index.to_numpy()
        up, down = np.zeros(len(x)), np.zeros(len(x))
        for i, col in enumerate(cols):
            y = mean[col].to_numpy()
            label = col[len(prefix):].replace("_", "-")
            color = (PALETTE + ("#999999", "#555555"))[i % (len(PALETTE) + 2)]
            base = up if y.sum() >= 0 else down
            ax.fill_between(x, base, base + y, color=color, alpha=0.85, linewidth=0, label=label)
            base += y
        ax.plot(x, mean[f"learning_gain_{side}"], color="black", linewidth=1.2, label="net gain")
        ax.axhline(0.0, color="0.6", linewidth=0.5)
        ax.set_xlabel("month")
        ax.set_title(names[side])
        panel_label(ax, letter)
    axes[0].set_ylabel("mean knowledge gain, by channel")
    if title:
        fig.suptitle(title)
    legend_below(fig, axes[0], ncol=5)
    return save(fig, path_stem)


# ---------------------------------------------------------------- experiment figures
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P")


def panels(n: int, ncols: int | None = None, width: float = DOUBLE_COLUMN, height: float = 2.1,
           sharex: bool = False, sharey: bool = False) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure of ``n`` panels at a journal width (``height`` per row), in the paper style."""
    paper_style()
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height * nrows), sharex=sharex, sharey=sharey,
                             squeeze=False, layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def panel_label(ax: plt.Axes, letter: str) -> None:
    """A bold panel letter (a, b, ...) in the top left corner, outside the axes."""
    ax.text(-0.02, 1.04, letter, transform=ax.transAxes, fontweight="bold", ha="right", va="bottom")


def legend_below(fig: plt.Figure, ax: plt.Axes, ncol: int = 4, **kw) -> None:
    """One legend for the whole figure, centred below the panels (from ``ax``'s labelled artists)."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, **kw)


def line_band(ax: plt.Axes, x, mean, lo, hi, *, label: str | None = None, color: str = PALETTE[0],
              linestyle: str = "-", marker: str | None = "o") -> None:
    """A mean curve over a parameter with its 95 % confidence band."""
    x, mean, lo, hi = (np.asarray(v, dtype=float) for v in (x, mean, lo, hi))
    ax.plot(x, mean, color=color, linestyle=linestyle, marker=marker, markersize=3, label=label)
    ax.fill_between(x, lo, hi, color=color, alpha=0.18, linewidth=0)


def point_range(ax: plt.Axes, x, mean, lo, hi, *, label: str | None = None, color: str = PALETTE[0],
                marker: str = "o") -> None:
    """Points with 95 % interval bars (for categorical comparisons)."""
    x, mean, lo, hi = (np.asarray(v, dtype=float) for v in (x, mean, lo, hi))
    ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], fmt=marker, color=color, markersize=3.5, capsize=2,
                elinewidth=0.9, label=label)


def effect_vs_parameter(ax: plt.Axes, cells: pd.DataFrame, x: str, *, group: str | None = None,
                        labels: dict | None = None, order: list | None = None, logx: bool = False,
                        xlabel: str | None = None, ylabel: str | None = None, zero: bool = False,
                        styles: dict | None = None) -> None:
    """Mean outcome (or effect) against a parameter, one line with a CI band per ``group`` level.

    ``cells`` has columns ``x``, ``mean``, ``lo``, ``hi`` (and ``group``), e.g.
    from :func:`c2c_sim.stats.cell_means` for one outcome. ``styles`` may give
    a group's ``(colour, linestyle, marker)``; otherwise they follow the palette.
    """
    groups = [None] if group is None else (order or list(dict.fromkeys(cells[group])))
    for i, g in enumerate(groups):
        part = cells if g is None else cells[cells[group] == g]
        if part.empty:
            continue
        part = part.sort_values(x)
        label = None if g is None else (labels or {}).get(g, str(g))
        color, ls, marker = (styles or {}).get(g, (PALETTE[i % len(PALETTE)], LINESTYLES[i % len(LINESTYLES)],
                                                   MARKERS[i % len(MARKERS)]))
        line_band(ax, part[x], part["mean"], part["lo"], part["hi"], label=label, color=color, linestyle=ls,
                  marker=marker)
    if logx:
        ax.set_xscale("log")
        levels = sorted(set(cells[x]))
        ax.set_xticks(levels)
        # a label crowded by the next level's (ratio < 1.5 on the log axis) is left out; the tick stays
        ax.set_xticklabels([f"{v:g}" if i == len(levels) - 1 or levels[i + 1] / v >= 1.5 else ""
                            for i, v in enumerate(levels)])
        ax.minorticks_off()
    if zero:
        ax.axhline(0.0, color="0.6", linewidth=0.6, zorder=0)
    ax.set_xlabel(xlabel or x)
    if ylabel:
        ax.set_ylabel(ylabel)


def outcome_panels(cells: pd.DataFrame, ylabels: dict[str, str], x: str, group: str, path_stem: Path | str, *,
                   xlabel: str, labels: dict | None = None, order: list | None = None,
                   legend: dict | None = None) -> list[Path]:
    """One panel per outcome (``ylabels``: outcome -> axis label, lettered a, b, ...), each the outcome's cell
    means against ``x`` with a line per ``group`` level (:func:`effect_vs_parameter`), one legend below."""
    fig, axes = panels(len(ylabels), height=2.1)
    for ax, letter, (outcome, ylabel) in zip(axes, "abcdefgh", ylabels.items()):
        effect_vs_parameter(ax, cells[cells.outcome == outcome], x, group=group, labels=labels, order=order,
                            xlabel=xlabel, ylabel=ylabel)
        panel_label(ax, letter)
    legend_below(fig, axes[0], **{"ncol": 2, **(legend or {})})
    return save(fig, path_stem)


def categorical_points(ax: plt.Axes, cells: pd.DataFrame, category: str, *, group: str | None = None,
                       order: list | None = None, group_order: list | None = None, labels: dict | None = None,
                       group_labels: dict | None = None, ylabel: str | None = None, zero: bool = False) -> None:
    """Means with 95 % intervals per category, dodged by ``group`` (columns mean, lo, hi)."""
    cats = order or list(dict.fromkeys(cells[category]))
    groups = [None] if group is None else (group_order or list(dict.fromkeys(cells[group])))
    width = 0.5
    for j, g in enumerate(groups):
        part = cells if g is None else cells[cells[group] == g]
        off = 0.0 if len(groups) == 1 else -width / 2 + width * j / (len(groups) - 1)
        xs, rows = [], []
        for i, c in enumerate(cats):
            r = part[part[category] == c]
            if len(r):
                xs.append(i + off)
                rows.append(r.iloc[0])
        if not rows:
            continue
        sel = pd.DataFrame(rows)
        label = None if g is None else (group_labels or {}).get(g, str(g))
        point_range(ax, xs, sel["mean"], sel["lo"], sel["hi"], label=label, color=PALETTE[j % len(PALETTE)],
                    marker=MARKERS[j % len(MARKERS)])
    ax.set_xticks(range(len(cats)))
    ax.set_xticklabels([(labels or {}).get(c, str(c)) for c in cats])
    ax.set_xlim(-0.6, len(cats) - 0.4)
    if zero:
        ax.axhline(0.0, color="0.6", linewidth=0.6, zorder=0)
    if ylabel:
        ax.set_ylabel(ylabel)


def survival_curves(ax: plt.Axes, curves: dict, *, xlabel: str = "months since the initiative started",
                    ylabel: str = "share still active", xmax: float | None = None) -> None:
    """Kaplan-Meier step curves with their confidence bands, one per label.

    ``curves`` maps a label to a table with columns ``time, survival, lo, hi``
    (:func:`c2c_sim.stats.kaplan_meier`).
    """
    for i, (label, km) in enumerate(curves.items()):
        t = km["time"].to_numpy(dtype=float)
        if xmax is not None:
            keep = t <= xmax
            t = np.append(t[keep], xmax)
            km = pd.concat([km[keep], km[keep].iloc[[-1]]])
        color = PALETTE[i % len(PALETTE)]
        ax.step(t, km["survival"], where="post", color=color, linestyle=LINESTYLES[i % len(LINESTYLES)], label=label)
        ax.fill_between(t, km["lo"], km["hi"], step="post", color=color, alpha=0.15, linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, xmax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def forest(effects: pd.DataFrame, path_stem: Path | str, *, group: str, order: list | None = None,
           panel: str = "panel", panels: list | None = None, xlabel: str = "effect") -> list[Path]:
    """A forest plot: one row per outcome, one colour (and marker) per ``group`` level, each effect a point
    with its 95 % interval, a zero line; outcomes of one ``panel`` share an axis (their units), panels are
    stacked. ``effects`` has columns outcome, ``group``, ``panel``, effect, ci95_lo, ci95_hi."""
    paper_style()
    groups = order or list(dict.fromkeys(effects[group]))
    names = [p for p in (panels or list(dict.fromkeys(effects[panel]))) if p in set(effects[panel])]
    rows = [list(dict.fromkeys(effects.loc[effects[panel] == p, "outcome"])) for p in names]
    fig, axes = plt.subplots(len(names), 1, figsize=(DOUBLE_COLUMN, 0.55 + sum(0.2 * len(r) + 0.35 for r in rows)),
                             squeeze=False, layout="constrained",
                             gridspec_kw={"height_ratios": [len(r) + 1.2 for r in rows]})
    step = 0.6 / max(len(groups), 1)
    for ax, name, outcomes in zip(axes[:, 0], names, rows):
        for j, g in enumerate(groups):
            part = effects[(effects[panel] == name) & (effects[group] == g)].set_index("outcome")
            ys = [i + (j - (len(groups) - 1) / 2) * step for i, o in enumerate(outcomes) if o in part.index]
            sel = part.loc[[o for o in outcomes if o in part.index]]
            ax.errorbar(sel["effect"], ys, xerr=[sel["effect"] - sel["ci95_lo"], sel["ci95_hi"] - sel["effect"]],
                        fmt=MARKERS[j % len(MARKERS)], color=PALETTE[j % len(PALETTE)], markersize=3.5, capsize=1.5,
                        elinewidth=0.9, label=str(g), linestyle="none")
        ax.axvline(0.0, color="0.6", linewidth=0.6, zorder=0)
        ax.set_yticks(range(len(outcomes)), [o.replace("_", " ") for o in outcomes])
        ax.set_ylim(len(outcomes) - 0.5, -0.5)
        ax.set_xlabel(name)
        ax.grid(axis="y", color="0.92", linewidth=0.5)
    fig.suptitle(xlabel, fontsize=STYLE["font.size"])
    if len(groups) > 1:
        legend_below(fig, axes[-1, 0], ncol=min(len(groups), 4))
    return save(fig, path_stem)


def series_panels(series: pd.DataFrame, ylabels: dict[str, str], group: str, path_stem: Path | str, *,
                  order: list | None = None, ncols: int = 3) -> list[Path]:
    """Outcomes month by month: one panel per outcome (``ylabels``: column -> axis label, lettered a, b, ...),
    one line per ``group`` level, the mean over replications with its 95 % band (:func:`band_plot`)."""
    groups = order or list(dict.fromkeys(series[group]))
    fig, axes = panels(len(ylabels), ncols=min(ncols, len(ylabels)), height=1.9)
    for ax, letter, (col, ylabel) in zip(axes, "abcdefghijkl", ylabels.items()):
        for j, g in enumerate(groups):
            band_plot(ax, series[series[group] == g], "month", col, str(g), PALETTE[j % len(PALETTE)])
        ax.set_xlabel("month")
        ax.set_ylabel(ylabel)
        panel_label(ax, letter)
    legend_below(fig, axes[0], ncol=min(len(groups), 4))
    return save(fig, path_stem)


# ---------------------------------------------------------------- network snapshot
COUNTRY_COLOURS = {"NETHERLANDS": PALETTE[0], "MOROCCO": PALETTE[1], "TURKEY": PALETTE[2]}
KIND_MARKERS = {"STAFF": "o", "CSO": "s", "MIGRANT": "^", "HIGHER_GOVERNMENT": "D", "KNOWLEDGE_INSTITUTION": "P"}
KIND_SIZES = {"STAFF": 9, "CSO": 14, "MIGRANT": 6, "HIGHER_GOVERNMENT": 40, "KNOWLEDGE_INSTITUTION": 40}
KIND_LABELS = {"STAFF": "municipal staff", "CSO": "civil-society organisation", "MIGRANT": "migrant",
               "HIGHER_GOVERNMENT": "higher government", "KNOWLEDGE_INSTITUTION": "knowledge institution"}
TRUST_CMAP = "cividis"  # sequential and colour-blind safe


def _disc(n: int, radius: float) -> np.ndarray:
    """``n`` points spread evenly over a disc (sunflower pattern), innermost first."""
    i = np.arange(n) + 0.5
    r = radius * np.sqrt(i / max(n, 1))
    a = i * np.pi * (3 - np.sqrt(5))
    return np.column_stack([r * np.cos(a), r * np.sin(a)])


def snapshot_layout(graph) -> dict:
    """Positions for :func:`network_snapshot`: the North on the left, the South on the right.

    Each city is a disc of its actors (staff in the middle, then CSOs); a Dutch
    city's migrants form a second disc between it and its partner city, where
    their transnational ties bridge. Partner cities share a row (found from the
    graph's ``PARTNERSHIP`` ties); cities outside any partnership follow below;
    each country's national bodies (city -1) sit above its column.
    """
    nodes = dict(graph.nodes(data=True))
    north = "NETHERLANDS"
    groups: dict[tuple, list] = {}
    for v, d in nodes.items():
        sub = "migrants" if d["kind"] == "MIGRANT" else "city"
        groups.setdefault((d["country"], d["city"], sub), []).append(v)
    pairs: dict[int, tuple[str, int]] = {}
    for a, b, d in graph.edges(data=True):
        if d.get("type") == "PARTNERSHIP":
            ca, cb = nodes[a], nodes[b]
            if ca["country"] == north and cb["country"] != north:
                pairs.setdefault(ca["city"], (cb["country"], cb["city"]))
            elif cb["country"] == north and ca["country"] != north:
                pairs.setdefault(cb["city"], (ca["country"], ca["city"]))
    xn, xm, xs = 0.0, 2.0, 4.5
    centre: dict[tuple, tuple[float, float]] = {}
    for r, (cn, (sc, cs)) in enumerate(sorted(pairs.items())):
        centre[(north, cn, "city")] = (xn, -r)
        centre[(north, cn, "migrants")] = (xm, -r)
        centre[(sc, cs, "city")] = (xs, -r)
    rest_n = [k for k in sorted(groups) if k[0] == north and k[1] >= 0 and k not in centre]
    rest_s = [k for k in sorted(groups) if k[0] != north and k[1] >= 0 and k not in centre]
    for i, k in enumerate(rest_n):
        centre[k] = (xn + 0.9 * (i % 2) + (xm - xn) * (k[2] == "migrants"), -len(pairs) - i // 2 * 0.8)
    for i, k in enumerate(rest_s):
        centre[k] = (xs - 0.9 * (i % 2), -len(pairs) - i // 2 * 0.8)
    national = [k for k in sorted(groups) if k[1] < 0]
    south_nat = sorted({k[0] for k in national if k[0] != north})
    for k in national:
        centre[k] = (xn, 0.9) if k[0] == north else (xs - 1.1 * south_nat.index(k[0]), 0.9)
    order = {"STAFF": 0, "CSO": 1, "HIGHER_GOVERNMENT": 2, "KNOWLEDGE_INSTITUTION": 3, "MIGRANT": 4}
    pos = {}
    for k, members in groups.items():
        members = sorted(members, key=lambda v: (order.get(nodes[v]["kind"], 5), v))
        cx, cy = centre[k]
        if k[1] < 0:  # national bodies side by side
            for j, v in enumerate(members):
                pos[v] = (cx + 0.4 * j, cy)
            continue
        for v, (dx, dy) in zip(members, _disc(len(members), 0.06 * np.sqrt(len(members)))):
            pos[v] = (cx + dx, cy + dy)
    return pos


def network_snapshot(graph, path_stem: Path | str | None = None, *, title: str | None = None,
                     width: float = DOUBLE_COLUMN, ax: plt.Axes | None = None) -> list[Path] | plt.Axes:
    """Draw a tie network: actors by type (marker) and country (colour), ties coloured by trust.

    ``graph`` is a networkx graph whose nodes carry ``kind``, ``country``,
    ``city`` (and optionally ``involved``) and whose edges carry ``type`` and
    ``trust``, such as ``C2CModel(...).network()``; plotting never builds the
    model itself. Actors not (yet) involved are drawn hollow, their ties faint grey. Saves PDF and PNG
    when ``path_stem`` is given (returns the paths), else draws on ``ax``.
    """
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    paper_style()
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(width, width * 0.7), layout="constrained")
    else:
        fig = ax.figure
    pos = snapshot_layout(graph)
    nodes = dict(graph.nodes(data=True))
    live = [(a, b, d) for a, b, d in graph.edges(data=True)
            if nodes[a].get("involved", True) and nodes[b].get("involved", True)]
    idle = [(pos[a], pos[b]) for a, b, d in graph.edges(data=True)
            if not (nodes[a].get("involved", True) and nodes[b].get("involved", True))]
    if idle:  # ties of actors not involved carry nothing yet: drawn faint, without trust colour
        ax.add_collection(LineCollection(idle, colors="0.85", linewidths=0.25, zorder=0))
    edges = sorted(live, key=lambda e: e[2].get("trust", 0.0))
    if edges:
        segs = [(pos[a], pos[b]) for a, b, _ in edges]
        trust = np.array([d.get("trust", 0.0) for *_, d in edges])
        lc = LineCollection(segs, cmap=TRUST_CMAP, norm=plt.Normalize(0, 1), linewidths=0.35, alpha=0.8, zorder=1)
        lc.set_array(trust)
        ax.add_collection(lc)
        cb = fig.colorbar(lc, ax=ax, shrink=0.6, pad=0.01, aspect=30)
        cb.set_label("trust on the tie")
        cb.outline.set_visible(False)
    nodes = dict(graph.nodes(data=True))
    for kind, marker in KIND_MARKERS.items():
        for country, colour in COUNTRY_COLOURS.items():
            vs = [v for v, d in nodes.items() if d["kind"] == kind and d["country"] == country]
            if not vs:
                continue
            xy = np.array([pos[v] for v in vs])
            involved = np.array([nodes[v].get("involved", True) for v in vs], bool)
            for inv in (True, False):
                sel = xy[involved == inv]
                if len(sel):
                    ax.scatter(sel[:, 0], sel[:, 1], s=KIND_SIZES[kind], marker=marker, linewidths=0.5,
                               facecolors=colour if inv else "white", edgecolors=colour, zorder=3)
    handles = [Line2D([], [], linestyle="", marker=m, color="0.35", markersize=4, label=KIND_LABELS[k])
               for k, m in KIND_MARKERS.items() if any(d["kind"] == k for d in nodes.values())]
    handles += [Line2D([], [], linestyle="", marker="o", color=c, markersize=4, label=k.title())
                for k, c in COUNTRY_COLOURS.items() if any(d["country"] == k for d in nodes.values())]
    handles.append(Line2D([], [], linestyle="", marker="o", markerfacecolor="white", markeredgecolor="0.35",
                          markersize=4, label="not involved"))
    handles.append(Line2D([], [], color="0.8", linewidth=0.8, label="tie of an uninvolved actor"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=5, handletextpad=0.2,
              columnspacing=1.0)
    ax.text(0.0, 1.0, "Netherlands", transform=ax.transAxes, ha="left", va="bottom", fontweight="bold")
    ax.text(1.0, 1.0, "Morocco, Turkey", transform=ax.transAxes, ha="right", va="bottom", fontweight="bold")
    ax.autoscale_view()
    ax.axis("off")
    if title:
        ax.set_title(title, pad=12)
    if own:
        return save(fig, path_stem) if path_stem is not None else ax
    return ax


def sensitivity_indices(indices: pd.DataFrame, method: str, path_stem: Path | str) -> list[Path]:
    """Sensitivity indices per outcome: Morris mu* or Sobol' total-order ST, with their 95 % intervals.

    ``indices`` has columns ``parameter``, ``outcome`` and the method's indices
    (see :mod:`c2c_sim.sensitivity`). One panel per outcome, parameters sorted
    by importance.
    """
    paper_style()
    key, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    outcomes = list(dict.fromkeys(indices["outcome"]))
    ncols = min(3, len(outcomes))
    nrows = -(-len(outcomes) // ncols)
    n_par = indices["parameter"].nunique()
    fig, axes = plt.subplots(nrows, ncols, figsize=(DOUBLE_COLUMN, (0.5 + 0.18 * n_par) * nrows + 0.4),
                             squeeze=False)
    for ax, outcome in zip(axes.ravel(), outcomes):
        part = indices[indices["outcome"] == outcome].sort_values(key)
        y = np.arange(len(part))
        ax.barh(y, part[key], xerr=part[conf].clip(lower=0), color=PALETTE[0], height=0.6,
                error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y, part["parameter"])
        ax.set_title(outcome)
        ax.set_xlabel("Morris $\\mu^*$" if method == "morris" else "Sobol' total-order index")
    for ax in axes.ravel()[len(outcomes):]:
        ax.set_visible(False)
    fig.tight_layout()
    return save(fig, path_stem)


# ---------------------------------------------------------------- calibration posterior
def posterior(prior: pd.DataFrame, accepted: pd.DataFrame, narrowing: pd.DataFrame, path_stem: Path | str,
              pairs: int = 4) -> list[Path]:
    """The calibration's posterior: (``path_stem``) one panel per parameter, the accepted points' histogram
    over the prior sample's, in the order of ``narrowing`` (most narrowed first; its prior range on the
    axis); and (``path_stem`` + ``_pairs``) the accepted points over the prior sample for each pair of
    the ``pairs`` most narrowed parameters."""
    keys = list(narrowing["parameter"])
    ranges = {r["parameter"]: (r["prior_lo"], r["prior_hi"]) for r in narrowing.to_dict("records")}
    ncols = min(6, len(keys))
    fig, axes = panels(len(keys), ncols=ncols, height=1.25)
    for ax, k in zip(axes, keys):
        lo, hi = ranges[k]
        bins = np.linspace(lo, hi, 13)
        ax.hist(prior[k], bins=bins, density=True, color="0.85", label="prior sample")
        ax.hist(accepted[k], bins=bins, density=True, histtype="step", color=PALETTE[0], linewidth=1.2,
                label="accepted")
        ax.axvline(float(np.median(accepted[k])), color=PALETTE[1], linewidth=0.9, label="posterior median")
        ax.set_xlim(lo, hi)
        ax.set_yticks([])
        section, _, name = k.partition(".")
        ax.set_title(f"{name}\n({section})", fontsize=5.5)
        ax.tick_params(labelsize=5)
    legend_below(fig, axes[0], ncol=3)
    out = save(fig, path_stem)
    top = keys[:max(2, min(pairs, len(keys)))]
    if len(top) >= 2:
        n = len(top) - 1
        fig, grid = plt.subplots(n, n, figsize=(DOUBLE_COLUMN * 0.75, DOUBLE_COLUMN * 0.75), squeeze=False,
                                 layout="constrained")
        for i in range(n):
            for j in range(n):
                ax = grid[i][j]
                if j > i:
                    ax.set_visible(False)
                    continue
                x, y = top[j], top[i + 1]
                ax.scatter(prior[x], prior[y], s=3, color="0.8", linewidths=0, label="prior sample")
                ax.scatter(accepted[x], accepted[y], s=6, color=PALETTE[0], linewidths=0, label="accepted")
                ax.set_xlim(*ranges[x])
                ax.set_ylim(*ranges[y])
                ax.tick_params(labelsize=5)
                if i == n - 1:
                    ax.set_xlabel(x, fontsize=6)
                if j == 0:
                    ax.set_ylabel(y, fontsize=6)
        legend_below(fig, grid[0][0], ncol=2)
        out += save(fig, f"{path_stem}_pairs")
    return out


def robustness(worlds: pd.DataFrame, top: Sequence[str], limits: dict, path_stem: Path | str, *,
               title: str | None = None) -> list[Path]:
    """A robustness map: (a) the effect in units of its bar in each world (``size``; 1 is the bar),
    worlds where the claim holds and where it fails; (b) the worlds over the two parameters in ``top``
    (the most influential), holding and failing, with the PRIM box's limits on those two (``limits``:
    parameter -> (lo or None, hi or None); empty when there is no clear box)."""
    fig, axes = panels(2, ncols=2, height=2.3)
    size = worlds["size"].to_numpy(float)
    ok = worlds["holds"].to_numpy(bool)
    finite = size[np.isfinite(size)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 2.0)
    bins = np.linspace(min(lo, 0.0), max(hi, 2.0), 25)
    ax = axes[0]
    ax.hist([size[ok & np.isfinite(size)], size[~ok & np.isfinite(size)]], bins=bins, stacked=True,
            color=[PALETTE[0], PALETTE[1]], label=["holds", "fails"])
    ax.axvline(1.0, color="0.3", linewidth=0.8, linestyle="--", label="the bar")
    ax.axvline(0.0, color="0.6", linewidth=0.6)
    ax.set_xlabel("effect in units of its smallest effect of interest")
    ax.set_ylabel("worlds")
    ax.legend(fontsize=6, loc="upper right")
    panel_label(ax, "a")
    ax = axes[1]
    if len(top) >= 2:
        x, y = top[0], top[1]
        ax.scatter(worlds.loc[ok, x], worlds.loc[ok, y], s=7, color=PALETTE[0], linewidths=0, label="holds")
        ax.scatter(worlds.loc[~ok, x], worlds.loc[~ok, y], s=9, color=PALETTE[1], marker="x", linewidths=0.8,
                   label="fails")
        xlo, xhi = limits.get(x, (None, None))
        ylo, yhi = limits.get(y, (None, None))
        if x in limits or y in limits:
            X0, X1 = worlds[x].min(), worlds[x].max()
            Y0, Y1 = worlds[y].min(), worlds[y].max()
            rect = plt.Rectangle((xlo if xlo is not None else X0, ylo if ylo is not None else Y0),
                                 (xhi if xhi is not None else X1) - (xlo if xlo is not None else X0),
                                 (yhi if yhi is not None else Y1) - (ylo if ylo is not None else Y0),
                                 fill=False, edgecolor="0.2", linewidth=0.9, linestyle="--", label="PRIM box")
            ax.add_patch(rect)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.legend(fontsize=6, markerscale=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.set_axis_off()
    panel_label(ax, "b")
    if title:
        fig.suptitle(title, fontsize=8)
    return save(fig, path_stem)
