"""LOGO South spillover: do multilevel networks carry knowledge and policy beyond the partnership?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/spillover.yaml``; run with ``c2c-sim-experiment spillover``.

Design. Two factors, crossed (18 cells): the governance network model
(``network``): ``classic`` (local governments only), ``multi_actor`` (plus CSOs
and migrants, the default) and ``multilevel_hybrid`` (plus a higher government
level and a knowledge institution per country, which also reach municipalities
outside any partnership, and country programmes once enough partnerships with
a country are active); and the number of Dutch-Moroccan partnerships
(``world.partnerships_morocco``: 0, 1, 2, 3, 4, 6; LOGO South advised three
per country). Everything else stays at the default scenario (two Turkish
partnerships, a four-year LOGO South-like programme, 120 months). 100
replications per cell. The network comparisons are made at three Moroccan
partnerships (the default).

Outcomes (final month), caused by the partnership (each replication minus its
twin without partnership activity, ``caused: true``): ``circulation_caused``,
the mean knowledge gain of municipal staff who never took part in an exchange
(knowledge that travelled beyond the people who travelled; the twin measured
on the same people), and ``policy_adoptions_unpartnered_caused``, practices
adopted by municipalities outside any partnership because of it (policy
transfer; national bodies start from their country's municipal profile, and
whatever they teach unpartnered municipalities in the twin too the difference
removes). While at least ``country_programme.min_partnerships`` partnerships
with a country are active, its country programme ties its partnered and
unpartnered municipalities (docs/odd.md 7.15).

Comparisons and verdicts (the verdict rule of :mod:`c2c_sim.stats`,
Holm-adjusted across the experiment). Circulation: the paired effect of
``multilevel_hybrid`` over each other network; supported when it beats both,
depends on the network compared with when it beats only one. Policy spillover:
the caused unpartnered adoptions in the multilevel network against none (the
classic and multi-actor networks tie unpartnered municipalities to nothing, so
their spillover is zero by structure and comparing with them would test the
structure: shown for context only).

What could make it false: see ``FALSIFIERS``. The multilevel network adds ties
from a few staff to the higher government level and a knowledge institution;
what the partnership teaches those staff reaches the national level only over
those contacts (``dissemination.multilevel_contact_rate``), and from there
unpartnered municipalities, which must gain ``adoption_threshold`` before
adopting a practice. ``COUNTER`` names a setting where the main verdict fails.
A second figure shows one replication's multilevel network at the end of the
run (``network_snapshot``).
"""

from __future__ import annotations

from pathlib import Path

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table
from c2c_sim.metrics import CIRCULATION_NOTE

TITLE = "Multilevel networks and spillover (LOGO South)"
CLAIM = """Multilevel governance networks, which tie partner municipalities to a higher level of
government and to knowledge institutions, strengthen knowledge circulation beyond the people who
travelled and carry practices to municipalities outside any partnership (spillover: policy
transfer and policy mobility)."""
SOURCE = """LOGO South evaluation (VNG International, 2010; Urban Studies, 2015), as summarised in
shared/domain.md: "spillover effects produced policy transfer and policy mobility; multilevel
governance networks strengthened knowledge circulation"; recommendation 2 ("involve higher
government levels")."""
DESIGN = """The network model (classic, multi-actor, multilevel hybrid) crossed with the number of
Moroccan partnerships (0, 1, 2, 3, 4, 6; network comparisons at 3).
Outcomes at the end of the run, caused by the partnership (run minus its twin): knowledge circulation (mean
gain of municipal staff who never took part in an exchange) and practices adopted by municipalities outside
any partnership. Circulation compares the multilevel hybrid with each other network, paired by
replication; spillover of practices is the multilevel network's caused adoptions against none, and six
Moroccan partnerships against one."""
TABLES = ("summary",)
QUICK = ["world.partnerships_morocco=1,3"]  # the network comparisons' level and one below it

NETWORKS = ["classic", "multi_actor", "multilevel_hybrid"]
NETWORK_LABELS = {"classic": "classic", "multi_actor": "multi-actor", "multilevel_hybrid": "multilevel\nhybrid"}
OUTCOMES = {
    "circulation_caused": ("Multilevel networks raise knowledge circulation", "circulation caused (non-participants)"),
    "policy_adoptions_unpartnered_caused": ("Multilevel networks spread the partnership's practices to unpartnered "
                                            "municipalities", "caused adoptions outside partnerships"),
}
MAIN = "Multilevel networks raise knowledge circulation"
FALSIFIERS = {
    MAIN: ("The partnership's knowledge reaches staff who did not travel in a multilevel network only over the few "
           "multilevel ties (network.multilevel_contacts staff per municipality, contact rate "
           "dissemination.multilevel_contact_rate); the higher level teaches in the twin too, so if those ties carry "
           "little of what the partnership brought, caused circulation does not rise."),
    "Multilevel networks spread the partnership's practices to unpartnered municipalities": (
        "Unpartnered municipalities adopt a practice when their institutional knowledge gains adoption_threshold; "
        "if what the partnership adds at the national level is too little to move them past it, nothing spreads."),
    "More partnerships with a country spread more practices to unpartnered municipalities": (
        "More partnerships bring more to the national level and, from country_programme.min_partnerships active "
        "ones, a country programme that ties unpartnered municipalities to partnered ones; if that is too little "
        "to move unpartnered municipalities past adoption_threshold, six partnerships spread no more than one."),
}
PARTNERS = "world.partnerships_morocco"
AT = 3  # the network comparisons' number of Moroccan partnerships (the default)
COUNTER = {"question": MAIN, "overrides": ["dissemination.multilevel_contact_rate=0.0",
                                           "country_programme.min_partnerships=0"],
           "why": ("With no contacts on multilevel ties and no country programme, the multilevel network's extra "
                   "ties carry nothing (its knowledge institutions then codify nothing either), so it raises caused "
                   "circulation over neither other network: the verdict rests on those contacts and on the country "
                   "programmes that run once enough partnerships with a country are active.")}


def analyse(data: Data) -> Analysis:
    full = data.summary
    s = full[full[PARTNERS] == AT] if PARTNERS in full else full
    rows, verdicts = [], []
    outcome, (question, _) = "circulation_caused", OUTCOMES["circulation_caused"]
    effects = {}
    for other in ("classic", "multi_actor"):
        e = stats.contrast(s, outcome, {"network": "multilevel_hybrid"}, {"network": other})
        effects[f"vs {other}"] = e
        rows.append((question, outcome, f"multilevel_hybrid - {other}", e))
    verdicts.append(stats.verdict(question, effects, moderator="the network compared with"))
    outcome, (question, _) = "policy_adoptions_unpartnered_caused", OUTCOMES["policy_adoptions_unpartnered_caused"]
    for net in NETWORKS:
        e = stats.bootstrap_mean(s[s.network == net][outcome]).about(outcome)
        rows.append((question, outcome, f"{net}: caused adoptions, against none", e))
        if net == "multilevel_hybrid":
            verdicts.append(stats.verdict(question, {"multilevel_hybrid": e}))
    if PARTNERS in full and full[PARTNERS].nunique() > 1:
        few, many = sorted(full[PARTNERS].unique())[1 if full[PARTNERS].nunique() > 2 else 0], full[PARTNERS].max()
        question = "More partnerships with a country spread more practices to unpartnered municipalities"
        e = stats.contrast(full, outcome, {"network": "multilevel_hybrid", PARTNERS: many},
                           {"network": "multilevel_hybrid", PARTNERS: few})
        rows.append((question, outcome, f"multilevel_hybrid: {many:g} vs {few:g} Moroccan partnerships", e))
        verdicts.append(stats.verdict(question, {"multilevel_hybrid": e}))
    by = ["network", PARTNERS] if PARTNERS in full else ["network"]
    cells = stats.cell_means(full, by, list(OUTCOMES))
    notes = [CIRCULATION_NOTE]
    if (s["policy_adoptions_unpartnered_caused"] == 0).all():
        notes.append("The partnership made no municipality outside a partnership adopt a practice in any cell: what "
                     "it adds to their institutional knowledge never reaches the adoption threshold.")
    return Analysis(verdicts, effects_table(rows), cells, notes)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    fig, axes = plotting.panels(3, height=2.1)
    all_cells = analysis.cells
    at = all_cells[all_cells[PARTNERS] == AT] if PARTNERS in all_cells else all_cells
    for ax, (letter, (outcome, (_, ylabel))) in zip(axes, zip("ab", OUTCOMES.items())):
        cells = at[at.outcome == outcome]
        plotting.categorical_points(ax, cells, "network", order=NETWORKS, labels=NETWORK_LABELS, ylabel=ylabel)
        plotting.panel_label(ax, letter)
    ax = axes[2]
    if PARTNERS in all_cells:
        for i, net in enumerate(NETWORKS):
            part = all_cells[(all_cells.network == net)
                             & (all_cells.outcome == "policy_adoptions_unpartnered_caused")].sort_values(PARTNERS)
            ax.errorbar(part[PARTNERS], part["mean"], yerr=[part["mean"] - part["lo"], part["hi"] - part["mean"]],
                        color=plotting.PALETTE[i], linestyle=plotting.LINESTYLES[i], marker="o", markersize=3,
                        capsize=2, label=NETWORK_LABELS[net].replace("\n", " "))
        ax.set_xlabel("Moroccan partnerships")
        ax.set_ylabel("caused adoptions outside partnerships")
        ax.legend(fontsize=6, frameon=False)
    plotting.panel_label(ax, "c")
    paths = plotting.save(fig, stem)
    paths += snapshot(data, Path(stem).parent / "network_snapshot")
    return paths


def snapshot(data: Data, stem: Path) -> list[Path]:
    """One replication's multilevel hybrid network at the end of the run (the base seed)."""
    from c2c_sim import C2CModel

    model = C2CModel(network="multilevel_hybrid", months=data.months, seed=int(data.config.get("seed", 0))).run()
    return plotting.network_snapshot(model.network(), stem,
                                     title=f"Multilevel hybrid network after {data.months} months (one replication)")


ROBUSTNESS = {"question": MAIN, "outcomes": ["circulation_caused"],
              "effects": [{"label": f"multilevel_hybrid - {other}", "treatment": {"network": "multilevel_hybrid"},
                           "control": {"network": other}} for other in ("classic", "multi_actor")]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness spillover``: the multilevel
network against the classic and the multi-actor one, three Moroccan partnerships (both must hold)."""
