"""The SolaraViz page of c2c_sim: ``c2c-sim-viz --port 8765`` (``pip install -e '.[viz]'``).

Controls (Mesa's): Reset, Play/Pause and Step; sliders for the brief's first-class parameters (trust
initial, growth and decay; programme duration and budget; CSO support; migrant involvement and
outreach), a checkbox for migrant facilitators, selects for the presets (network, programme, scenario)
and the seed. As everywhere in Mesa, the parameters take effect on Reset. Presets apply first, then
the sliders; a slider left at the schema's default keeps the presets' value (so ``programme=long_term``
gives its 120 months unless the duration slider is moved), and the readout lists what the run uses.

Shown, month by month: North and South learning (gain since month 0), the learning the partnership
caused (the run minus its twin, ``caused=true``), trust by tie type (mean over the ties in use); the
tie network (colour: actor type; circles North, squares South; ties coloured by trust), and a readout
of the month's values as text. The model never imports this module.

Tested (``tests/test_viz.py``, headless Chromium) with Mesa 3.5.1 on Python 3.12 and Mesa 3.3.1 on
Python 3.11, both with solara 1.58.2, solara-assets 1.58.2, ipyvue 1.13.0 and ipyvuetify 1.12.0 (the
``viz`` extra in pyproject.toml says why those).
"""

from __future__ import annotations

from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from .config import Config, ConfigError, flatten, list_presets, lookup_field
from .model import C2CModel
from .world import Country, Kind

SLIDERS = ("trust.initial", "trust.growth", "trust.decay", "programme.duration", "programme.budget_per_year",
           "cso.support", "migrants.involvement", "migrants.outreach")
"""The sliders' parameters (dotted keys); each spans its schema range (``lo``/``hi``) except as VIEW says."""
VIEW = {"programme.duration": lambda cfg: cfg.months,
        "programme.budget_per_year": lambda cfg: 10 * cfg.programme.budget_per_year}
"""Upper ends for fields whose schema bound is a sanity bound (100,000 months, 10 million k EUR): a
programme longer than the run looks the same within it; ten times the default budget is five visits
a month. Both come from the defaults, so they follow the schema."""
CHECKBOXES = ("migrants.facilitator",)
PRESETS = {"network": "network.model", "programme": "programme.name", "scenario": "name"}
"""The preset groups and the field that records each one's preset name in a Config."""
KIND_STYLE = {Kind.STAFF: ("tab:blue", "municipal staff"), Kind.CSO: ("tab:green", "CSO"),
              Kind.MIGRANT: ("tab:orange", "migrant"), Kind.HIGHER_GOVERNMENT: ("tab:purple", "higher government"),
              Kind.KNOWLEDGE_INSTITUTION: ("tab:brown", "knowledge institution")}
TIE_TYPES = ("partnership", "local", "transnational", "multilevel")


def _name(key: str) -> str:
    return key.replace(".", "_")


KEYS = {_name(k): k for k in SLIDERS + CHECKBOXES}
"""Keyword name -> dotted key of each slider and checkbox."""


def model_params() -> dict[str, Any]:
    """SolaraViz's ``model_params``: sliders, checkbox and selects, defaults and ranges from the schema."""
    cfg = Config()
    defaults = flatten(cfg)
    out: dict[str, Any] = {}
    for key in SLIDERS:
        f = lookup_field(key)
        lo, hi = f.metadata["lo"], f.metadata["hi"]
        if key in VIEW:
            hi = min(hi, VIEW[key](cfg))
        whole = f.type in (int, "int")
        out[_name(key)] = {"type": "SliderInt" if whole else "SliderFloat", "label": key, "value": defaults[key],
                           "min": lo, "max": hi, "step": 1 if whole else (hi - lo) / 200}
    for key in CHECKBOXES:
        out[_name(key)] = {"type": "Checkbox", "label": key, "value": defaults[key]}
    for group, key in PRESETS.items():
        out[f"{group}_choice"] = {"type": "Select", "label": group, "value": defaults[key],
                                  "values": list_presets(group)}
    out["seed"] = {"type": "InputText", "label": "seed", "value": str(cfg.seed)}
    return out


class VizModel(C2CModel):
    """C2CModel as the page makes it: presets first, then the sliders that were moved, ``caused=true``."""

    def __init__(self, *, network_choice: str, programme_choice: str, scenario_choice: str, seed: Any,
                 scenario: Any = None, **kwargs: Any) -> None:  # "kwargs": Mesa 3.3's page checks that name
        defaults = flatten(Config())
        moved = {k: v for k, v in kwargs.items() if v != defaults[KEYS[k]]}
        mesa_scenario = {"scenario": scenario} if scenario is not None else {}  # Mesa >= 3.4's, on Reset
        try:
            seed = int(seed)
        except ValueError:
            raise ConfigError(f"seed={seed!r}: give a whole number") from None
        super().__init__(rng=seed, network=network_choice, programme=programme_choice,
                         scenario_preset=scenario_choice, caused=True, **moved, **mesa_scenario)


def _plot(title: str, ylabel: str):
    def post_process(ax) -> None:  # Mesa labels the x axis "Step" after this: a step is a month
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
    return post_process


@solara.component
def Readout(model: C2CModel):
    """The month and its plotted values as text (what a reader, or the browser test, reads off)."""
    update_counter.get()
    m = model.metrics
    values = flatten(model.config)
    solara.Text(f"month {model.month}", classes=["c2c-month"])
    solara.Text(f"learning North {m['learning_gain_north']:.5f} · South {m['learning_gain_south']:.5f} · "
                f"caused North {m['learning_caused_north']:.5f} · South {m['learning_caused_south']:.5f}",
                classes=["c2c-learning"])
    trust = {t: m[f"mean_trust_{t}"] for t in TIE_TYPES}
    solara.Text("trust " + " · ".join(f"{t} {v:.4f}" if v == v else f"{t} (no ties)" for t, v in trust.items()),
                classes=["c2c-trust"])
    solara.Text(f"this run: seed {model.seed} · " + " · ".join(f"{g} {values[k]}" for g, k in PRESETS.items())
                + " · " + " · ".join(f"{k} {values[k]:g}" for k in SLIDERS + CHECKBOXES), classes=["c2c-run"])


def layout(model: C2CModel) -> dict[int, tuple[float, float]]:
    """Fixed node positions, one cluster per city: Dutch cities left, Moroccan and Turkish ones right,
    staff in the middle of their city, CSOs and migrants around them; each country's higher government
    and knowledge institution above its column. Computed once per model (actors never move)."""
    if getattr(model, "_viz_layout", None) is None:
        import numpy as np

        w = model.world
        pos: dict[int, tuple[float, float]] = {}
        side = np.where(w.country == Country.NETHERLANDS, -1.0, 1.0)
        cities = {s: sorted({int(c) for c in np.unique(w.city[(side == s) & (w.city >= 0)])}) for s in (-1.0, 1.0)}
        for s, cs in cities.items():
            for j, c in enumerate(cs):
                members = np.flatnonzero((w.city == c) & (side == s))
                cx, cy = s * 1.6, 1.0 - 2.0 * (j + 0.5) / len(cs)
                rings = {Kind.STAFF: 0.025, Kind.CSO: 0.06, Kind.MIGRANT: 0.09}
                for kind, r in rings.items():
                    rows = members[w.kind[members] == kind]
                    for k, i in enumerate(rows):
                        a = 2 * np.pi * k / max(len(rows), 1)
                        pos[int(i)] = (cx + 5 * r * np.cos(a), cy + r * np.sin(a))
        for i in np.flatnonzero(w.city < 0):  # one higher government and knowledge institution per country
            x = -1.6 if w.country[i] == Country.NETHERLANDS else (1.2 if w.country[i] == Country.MOROCCO else 2.0)
            pos[int(i)] = (x + (0.15 if w.kind[i] == Kind.KNOWLEDGE_INSTITUTION else -0.15), 1.12)
        model._viz_layout = pos
    return model._viz_layout


def network_figure(model: C2CModel) -> Figure:
    """The tie network now: actors by type (colour) and country (circles North, squares South), ties
    coloured by trust."""
    import networkx as nx
    from matplotlib import colormaps

    g = model.network()
    pos = layout(model)
    fig = Figure(figsize=(7, 5.5), layout="constrained")
    ax = fig.subplots()
    edges = list(g.edges(data="trust"))
    if edges:
        coll = nx.draw_networkx_edges(g, pos, ax=ax, edge_color=[t for _, _, t in edges],
                                      edge_cmap=colormaps["viridis"], edge_vmin=0.0, edge_vmax=1.0, width=0.5,
                                      alpha=0.7)
        fig.colorbar(coll, ax=ax, label="trust", shrink=0.8)
    for kind, (colour, label) in KIND_STYLE.items():
        for north, marker in ((True, "o"), (False, "s")):
            nodes = [n for n, d in g.nodes(data=True)
                     if d["kind"] == kind.name and (d["country"] == Country.NETHERLANDS.name) == north]
            if nodes:
                nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_color=colour, node_shape=marker, ax=ax,
                                       node_size=8 if kind == Kind.MIGRANT else 22,
                                       label=f"{label} ({'North' if north else 'South'})")
    ax.set_title(f"ties in month {model.month} (circles: North, squares: South)", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False, markerscale=1.5)
    ax.set_axis_off()
    return fig


@solara.component
def NetworkView(model: C2CModel):
    """The tie network, redrawn every month."""
    update_counter.get()
    solara.FigureMatplotlib(network_figure(model), format="png")


def components() -> list:
    trust = {f"mean_trust_{t}": c for t, c in zip(TIE_TYPES, ("tab:red", "tab:green", "tab:orange", "tab:purple"))}
    return [
        make_plot_component({"learning_gain_north": "tab:blue", "learning_gain_south": "tab:orange"},
                            post_process=_plot("learning (gain since month 0)", "knowledge gain")),
        make_plot_component({"learning_caused_north": "tab:blue", "learning_caused_south": "tab:orange"},
                            post_process=_plot("caused learning (run minus its twin)", "knowledge gain")),
        make_plot_component(trust, post_process=_plot("trust by tie type (ties in use)", "mean trust")),
        NetworkView,
        Readout,
    ]


def initial_model() -> VizModel:
    return VizModel(**{k: v["value"] for k, v in model_params().items()})


@solara.component
def Page():
    """The page: each browser session gets its own model (Mesa's examples share one module-level model)."""
    model = solara.use_memo(initial_model, [])
    SolaraViz(model, components=components(), model_params=model_params(), name="c2c_sim: mutual learning")


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``c2c-sim-viz [--port N] [--host H]``: serve this page with Solara."""
    import argparse
    import os
    import sys

    ap = argparse.ArgumentParser(prog="c2c-sim-viz", description="Serve c2c_sim's SolaraViz page.")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args(argv)
    # Build the page's first model here: numba compiles the rules now if it must (with its notice), not in
    # the first browser session, whose page would wait a minute; a bad install fails here, not in the page.
    initial_model()
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home (a closed network refuses them)
    # -P: the current folder stays off sys.path, so the installed c2c_sim is served even from another checkout
    cmd = [sys.executable, "-P", "-m", "solara", "run", "c2c_sim.app", "--port", str(args.port), "--host",
           args.host, "--production", "--no-open", "--no-check-version"]
    os.execve(sys.executable, cmd, env)
