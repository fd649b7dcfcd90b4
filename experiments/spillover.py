"""LOGO South spillover: do multilevel networks carry knowledge and policy beyond the partnership?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/spillover.yaml``; run with ``c2c-sim-experiment spillover``.

Design. One factor, the governance network model (``network``): ``classic``
(local governments only), ``multi_actor`` (plus CSOs and migrants, the default)
and ``multilevel_hybrid`` (plus a higher government level and a knowledge
institution per country, which also reach municipalities outside any
partnership). Everything else stays at the default scenario (five partnerships,
a four-year LOGO South-like programme, 120 months). 30 replications per cell.

Outcomes (final month): ``circulation``, the mean knowledge gain of municipal
staff who never took part in an exchange (knowledge that travelled beyond the people who
travelled), and ``policy_adoptions_unpartnered``, practices adopted by
municipalities outside any partnership (policy transfer).

Comparison and verdict. For each outcome, the paired effect of
``multilevel_hybrid`` over each other network. The claim is supported for an
outcome when multilevel beats both (intervals above zero), depends on the
network compared with when it beats only one, and is not supported otherwise.
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
DESIGN = """The network model is the only factor: classic, multi-actor and multilevel hybrid.
Outcomes at the end of the run: knowledge circulation (mean gain of municipal staff who never took part in
an exchange) and policies adopted by municipalities outside any partnership. Each outcome compares the
multilevel hybrid with each other network, paired by replication."""
TABLES = ("summary",)
QUICK: list[str] = []  # three cells only; the quick horizon and replications suffice

NETWORKS = ["classic", "multi_actor", "multilevel_hybrid"]
NETWORK_LABELS = {"classic": "classic", "multi_actor": "multi-actor", "multilevel_hybrid": "multilevel\nhybrid"}
OUTCOMES = {
    "circulation": ("Multilevel networks raise knowledge circulation", "circulation (non-participants)"),
    "policy_adoptions_unpartnered": ("Multilevel networks spread policy to unpartnered municipalities",
                                     "policies adopted outside partnerships"),
}


def analyse(data: Data) -> Analysis:
    s = data.summary
    rows, verdicts = [], []
    for outcome, (question, _) in OUTCOMES.items():
        effects = {}
        for other in ("classic", "multi_actor"):
            e = stats.contrast(s, outcome, {"network": "multilevel_hybrid"}, {"network": other})
            effects[f"vs {other}"] = e
            rows.append((question, outcome, f"multilevel_hybrid - {other}", e))
        verdicts.append(stats.verdict(question, effects, moderator="the network compared with"))
    cells = stats.cell_means(s, ["network"], list(OUTCOMES))
    notes = [CIRCULATION_NOTE]
    if (s["policy_adoptions_unpartnered"] == 0).all():
        notes.append("No municipality outside a partnership adopted a practice in any cell: with the default "
                     "adoption threshold the institutional knowledge of unpartnered municipalities never reaches it.")
    return Analysis(verdicts, effects_table(rows), cells, notes)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    fig, axes = plotting.panels(2, width=plotting.DOUBLE_COLUMN * 0.75, height=2.1)
    for ax, (letter, (outcome, (_, ylabel))) in zip(axes, zip("ab", OUTCOMES.items())):
        cells = analysis.cells[analysis.cells.outcome == outcome]
        plotting.categorical_points(ax, cells, "network", order=NETWORKS, labels=NETWORK_LABELS, ylabel=ylabel)
        plotting.panel_label(ax, letter)
    paths = plotting.save(fig, stem)
    paths += snapshot(data, Path(stem).parent / "network_snapshot")
    return paths


def snapshot(data: Data, stem: Path) -> list[Path]:
    """One replication's multilevel hybrid network at the end of the run (the base seed)."""
    from c2c_sim import C2CModel

    model = C2CModel(network="multilevel_hybrid", months=data.months, seed=int(data.config.get("seed", 0))).run()
    return plotting.network_snapshot(model.network(), stem,
                                     title=f"Multilevel hybrid network after {data.months} months (one replication)")
