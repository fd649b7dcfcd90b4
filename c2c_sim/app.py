"""The SolaraViz page of c2c_sim: ``c2c-sim-viz --port 8765`` (``pip install -e '.[viz]'``).

Sliders for the brief's first-class parameters (trust initial, growth and decay; programme duration
and budget; CSO support; migrant involvement, outreach and facilitators) with the schema's ranges,
and the presets (network, programme, scenario). A slider sets its parameter after the presets, so it
overrides a preset's value of it. Plots: North and South learning, the learning the partnership
caused (the run minus its twin, ``caused=true``) and trust by tie type, month by month; a network view
of the actors (colour: type; marker: North or South) and their ties (colour: trust); a readout of the
latest month. Step, Play and Reset are Mesa's. The model never imports this module.

UNFINISHED (issue 13 item 2): served with Mesa 3.5.1 and solara 1.58.2 (+ solara-assets 1.58.2, since the
closed network cannot reach solara's CDN; solara 1.64 has no matching assets package), the page shows its
controls and sliders in headless Chromium, but the plot, network and readout components did not render
in the one check made, and there is no browser test yet. Mesa 3.3 (Python 3.11) is not tried.
"""

from __future__ import annotations

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz, make_plot_component

from .config import Config, flatten, list_presets, lookup_field
from .model import C2CModel

SLIDERS: dict[str, tuple | None] = {
    "trust.initial": None,
    "trust.growth": None,
    "trust.decay": (0.0, 0.2),
    "programme.duration": (0, 120),
    "programme.budget_per_year": (0.0, 200.0),
    "cso.support": None,
    "migrants.involvement": None,
    "migrants.outreach": (0.0, 0.2),
}
"""Slider parameters (dotted keys) and their range (None: the schema's)."""
PRESETS = {"network": "multi_actor", "programme": "logo_south", "scenario_preset": "default"}
FIXED = {"caused": True}
KIND_COLOURS = {"LOCAL_GOVERNMENT": "tab:blue", "CSO": "tab:green", "MIGRANT": "tab:orange",
                "HIGHER_GOVERNMENT": "tab:purple", "KNOWLEDGE_INSTITUTION": "tab:brown"}


def model_params() -> dict:
    """SolaraViz's ``model_params``: the sliders and selects, defaults and ranges from the schema."""
    defaults = flatten(Config())
    out: dict = {}
    for key, bounds in SLIDERS.items():
        f = lookup_field(key)
        lo, hi = bounds or (f.metadata["lo"], f.metadata["hi"])
        whole = f.type in (int, "int")
        out[key.replace(".", "_")] = {"type": "SliderInt" if whole else "SliderFloat", "label": key,
                                      "value": defaults[key], "min": lo, "max": hi,
                                      "step": 1 if whole else round((hi - lo) / 100, 6)}
    out["migrants_facilitator"] = {"type": "Checkbox", "label": "migrants.facilitator",
                                   "value": defaults["migrants.facilitator"]}
    for name, value in PRESETS.items():
        group = name.removesuffix("_preset")
        out[name] = {"type": "Select", "label": group, "value": value, "values": list_presets(group)}
    return {**out, **FIXED}


@solara.component
def Readout(model: C2CModel):
    """The latest month's plotted values, as text (what a reader, or a browser test, can read off)."""
    m = model.metrics
    solara.Markdown(f"**month {model.month}** · learning North {m['learning_gain_north']:.4f} · "
                    f"South {m['learning_gain_south']:.4f} · caused North {m.get('learning_caused_north', 0):.4f} · "
                    f"South {m.get('learning_caused_south', 0):.4f} · trust on partnership ties "
                    f"{m['mean_trust_partnership']:.4f}")


def layout(model: C2CModel) -> dict:
    """Fixed node positions (computed once per model): North left, South right, one band per city."""
    if getattr(model, "_viz_layout", None) is None:
        import networkx as nx

        g = model.network()
        pos = nx.spring_layout(g, seed=0, iterations=30)
        model._viz_layout = {n: ((-1.5 if g.nodes[n]["country"] == "NETHERLANDS" else 1.5) + 0.6 * x, y)
                             for n, (x, y) in pos.items()}
    return model._viz_layout


@solara.component
def NetworkView(model: C2CModel):
    """Actors by type and country, ties coloured by trust (the tie network now)."""
    import networkx as nx

    g = model.network()
    pos = layout(model)
    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    edges = list(g.edges(data="trust"))
    if edges:
        coll = nx.draw_networkx_edges(g, pos, ax=ax, edge_color=[t for _, _, t in edges], edge_cmap=_viridis(),
                                      edge_vmin=0.0, edge_vmax=1.0, width=0.6, alpha=0.8)
        fig.colorbar(coll, ax=ax, label="trust")
    for kind, colour in KIND_COLOURS.items():
        for north, marker in ((True, "o"), (False, "s")):
            nodes = [n for n, d in g.nodes(data=True) if d["kind"] == kind and (d["country"] == "NETHERLANDS") == north]
            if nodes:
                nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_color=colour, node_shape=marker, node_size=18,
                                       ax=ax, label=f"{kind.lower().replace('_', ' ')} ({'N' if north else 'S'})")
    ax.set_title(f"ties in month {model.month} (circles: North, squares: South)")
    ax.legend(fontsize=6, loc="lower center", ncol=3)
    ax.set_axis_off()
    solara.FigureMatplotlib(fig)


def _viridis():
    from matplotlib import colormaps

    return colormaps["viridis"]


def components() -> list:
    return [
        make_plot_component({"learning_gain_north": "tab:blue", "learning_gain_south": "tab:orange"}),
        make_plot_component({"learning_caused_north": "tab:blue", "learning_caused_south": "tab:orange"}),
        make_plot_component({"mean_trust_partnership": "tab:red", "mean_trust_local": "tab:green",
                             "mean_trust_transnational": "tab:orange", "mean_trust_multilevel": "tab:purple"}),
        NetworkView,
        Readout,
    ]


def initial_model() -> C2CModel:
    params = model_params()
    return C2CModel(rng=Config().seed, **{k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()})


page = SolaraViz(initial_model(), components=components(), model_params=model_params(), name="c2c_sim")


def main(argv: list[str] | None = None) -> None:
    """Console entry point ``c2c-sim-viz [--port N] [--host H]``: serve this page with Solara."""
    import argparse
    import os
    import sys

    ap = argparse.ArgumentParser(prog="c2c-sim-viz", description="Serve c2c_sim's SolaraViz page.")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args(argv)
    cmd = [sys.executable, "-m", "solara", "run", "c2c_sim.app", "--port", str(args.port), "--host", args.host,
           "--production", "--no-open"]
    os.execv(sys.executable, cmd)
