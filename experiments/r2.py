"""R2 governance network models: do broader networks and internal dissemination embed knowledge?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r2.yaml``; run with ``c2c-sim-experiment r2``.

Design. Three factors, crossed (12 cells, 100 replications each, 120 months):
the network model (``network``: ``classic`` local-government network,
``multi_actor`` with CSOs and migrants, ``multilevel_hybrid`` with a higher
government level and knowledge institutions, which codify what municipalities
in contact with them learn: ``dissemination.institution_codify``,
``rules.codified_by_institutions``), what spreads knowledge, internal
dissemination (``dissemination.internal_rate``: 0, off, or the default 0.1,
on), and what embeds it, code learning into institutional memory
(``dissemination.institutionalisation_rate``: 0.005, low, or the default
0.02). Everything else at the default scenario; the network and internal
comparisons are made at the default institutionalisation rate.

Outcomes (final month), caused by the partnership (each replication minus its
twin without partnership activity, ``caused: true``): ``circulation_caused``
(mean gain of municipal staff who never took part in an exchange: knowledge
that spread), ``institutional_knowledge_caused`` (gain of the municipalities'
institutional memory: institutionalisation) and, for context, the
institutionalised share (gross: a ratio, not a difference).

Comparisons and verdicts (paired by replication; the verdict rule of
:mod:`c2c_sim.stats`, Holm-adjusted across the experiment): broader networks
(multi-actor, multilevel) against the classic one, with internal dissemination
on and off, for circulation and for institutional knowledge (``depends on``
names the cells where it fails); internal dissemination on against off, per
network, for institutional knowledge and for circulation; institutionalisation
high against low, per network, for institutional knowledge (what embeds,
apart from what spreads).

What could make it false: see ``FALSIFIERS``. A broader network adds local,
CSO-CSO and multilevel ties, but those carry knowledge with or without a
partnership (the twin has them too), so only what the partnership brings in and
they pass on counts; with few local contacts they pass on nothing. What embeds
knowledge in the memory is ``dissemination.institutionalisation_rate`` (and,
in the multilevel network, the knowledge institutions' codifying), varied here
apart from the internal rate. ``COUNTER`` names a setting where the main
verdict fails.
"""

from __future__ import annotations

from pathlib import Path

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table
from c2c_sim.metrics import CIRCULATION_NOTE

TITLE = "Governance network models and dissemination"
CLAIM = """Local governance networks can leverage broader governance: beyond the classic
local-government network, multi-actor networks and the involvement of higher government levels
(and knowledge institutions) spread and institutionalise knowledge; internal dissemination within
organisations embeds what was learnt so that more people benefit."""
SOURCE = """Recommendation 2, shared/seeds/recommendations.txt ("Adequate use should be made of the
potential of local governance networks to strengthen broader governance arrangements"; "Internal
dissemination (within organizations) and external dissemination (between organizations) could be
encouraged and stimulated to make sure the obtained knowledge is embedded within the
organization")."""
DESIGN = """Network model (classic, multi-actor, multilevel hybrid, whose knowledge institutions codify)
crossed with internal dissemination (off: rate 0; on: the default rate 0.1) and institutionalisation (low
0.005, default 0.02). Outcomes at the end of the run, caused by the
partnership (run minus its twin without partnership activity): knowledge circulation beyond
participants and institutional knowledge; for context the institutionalised share."""
TABLES = ("summary",)
QUICK: list[str] = []

NETWORKS = ["classic", "multi_actor", "multilevel_hybrid"]
NET_LABELS = {"classic": "classic", "multi_actor": "multi-actor", "multilevel_hybrid": "multilevel\nhybrid"}
INT = "dissemination.internal_rate"
INST = "dissemination.institutionalisation_rate"
OUTCOMES = {
    "circulation_caused": "circulation caused (non-participants)",
    "institutional_knowledge_caused": "institutional knowledge caused",
    "institutionalised_share": "institutionalised share",
}
MAIN = "Broader networks raise knowledge circulation"
FALSIFIERS = {
    MAIN: ("Broader networks carry what the partnership brought only over local and multilevel ties "
           "(dissemination.local_contact_rate, multilevel_contact_rate, external_rate) that also run in the "
           "twin; if they are rare, or if CSOs and migrants learn but do not pass it on to municipal staff, "
           "circulation caused by the partnership does not rise."),
    "Broader networks raise institutionalisation": ("Institutional memory takes up what staff know "
                                                    "(institutionalisation_rate); a network that teaches CSOs "
                                                    "rather than staff leaves the memory as it is."),
    "Internal dissemination embeds knowledge": ("Internal dissemination spreads knowledge among staff; the memory "
                                                "embeds it at institutionalisation_rate whatever the internal "
                                                "rate, so more spreading need not mean more embedding."),
    "Internal dissemination spreads knowledge": ("Colleagues who never travelled learn from those who did; "
                                                 "with high turnover or forgetting what spreads is lost again."),
    "Institutionalisation embeds knowledge": (
        "Memory takes up only what staff know beyond it; if what the partnership taught is forgotten or leaves "
        "with turnover faster than code learning takes it up, or staff learnt little, a higher rate embeds "
        "little more."),
}
COUNTER = {"question": MAIN, "overrides": ["dissemination.external_rate=0"],
           "why": ("Without local and multilevel contacts (external_rate 0, the multiplier on their rates) what the "
                   "partnership brings to CSOs, migrants and national bodies reaches no municipal staff member who "
                   "stayed at home.")}


def analyse(data: Data) -> Analysis:
    s = data.summary
    rates = data.levels(INT)
    off, on = rates[0], rates[-1]
    inst_lo, inst = data.levels(INST)[0], data.levels(INST)[-1]  # comparisons below at the default rate
    rows, verdicts = [], []
    for outcome, question in (("circulation_caused", MAIN),
                              ("institutional_knowledge_caused", "Broader networks raise institutionalisation")):
        effects = {}
        for net in ("multi_actor", "multilevel_hybrid"):
            for rate in (on, off):
                e = stats.contrast(s, outcome, {"network": net, INT: rate, INST: inst},
                                   {"network": "classic", INT: rate, INST: inst})
                name = f"{net} vs classic, internal {'on' if rate == on else 'off'}"
                effects[name] = e
                rows.append((question, outcome, name, e))
        verdicts.append(stats.verdict(question, effects, moderator="the network"))
    for outcome, question in (("institutional_knowledge_caused", "Internal dissemination embeds knowledge"),
                              ("circulation_caused", "Internal dissemination spreads knowledge")):
        effects = {}
        for net in NETWORKS:
            e = stats.contrast(s, outcome, {"network": net, INT: on, INST: inst},
                               {"network": net, INT: off, INST: inst})
            effects[net] = e
            rows.append((question, outcome, f"internal on ({on:g}) vs off, {net}", e))
        verdicts.append(stats.verdict(question, effects, moderator="network"))
    question = "Institutionalisation embeds knowledge"
    effects = {}
    for net in NETWORKS:
        e = stats.contrast(s, "institutional_knowledge_caused", {"network": net, INT: on, INST: inst},
                           {"network": net, INT: on, INST: inst_lo})
        effects[net] = e
        rows.append((question, "institutional_knowledge_caused", f"institutionalisation {inst:g} vs {inst_lo:g}, "
                     f"{net}", e))
    verdicts.append(stats.verdict(question, effects, moderator="network"))
    for net in NETWORKS:
        e = stats.contrast(s, "institutionalised_share", {"network": net, INT: on, INST: inst},
                           {"network": net, INT: off, INST: inst})
        rows.append(("Institutionalised share", "institutionalised_share", f"internal on vs off, {net}", e))
    cells = stats.cell_means(s[s[INST] == inst], ["network", INT], list(OUTCOMES))
    notes = [CIRCULATION_NOTE]
    return Analysis(verdicts, effects_table(rows), cells, notes)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    rates = data.levels(INT)
    fig, axes = plotting.panels(3, height=2.1)
    for ax, letter, (outcome, label) in zip(axes, "abc", OUTCOMES.items()):
        part = analysis.cells[analysis.cells.outcome == outcome]
        plotting.categorical_points(ax, part, "network", group=INT, order=NETWORKS, labels=NET_LABELS,
                                    group_order=rates[::-1],
                                    group_labels={r: f"internal dissemination {'on' if r > 0 else 'off'}"
                                                  for r in rates}, ylabel=label)
        plotting.panel_label(ax, letter)
    plotting.legend_below(fig, axes[0], ncol=2)
    return plotting.save(fig, stem)


ROBUSTNESS = {"question": MAIN, "outcomes": ["circulation_caused"],
              "effects": [{"label": f"{net}, internal {'on' if rate else 'off'}",
                           "treatment": {"network": net, INT: rate, INST: 0.02},
                           "control": {"network": "classic", INT: rate, INST: 0.02}}
                          for net in ("multi_actor", "multilevel_hybrid") for rate in (0.1, 0.0)]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness r2``: the multi-actor and
the multilevel network against the classic, internal dissemination on and off, institutionalisation at
its default (all must hold; at the default scenario the verdict is 'depends on the network')."""
