"""R3 peer-to-peer learning: do equal exchanges beat donor-recipient ones?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r3.yaml``; run with ``c2c-sim-experiment r3``.

Design. Two factors, crossed (6 cells, 30 replications each, 120 months):
``programme.mode`` (``peer``: knowledge may flow both ways in programme
exchanges; ``donor``: they are one-way, North to South, the North comes to
teach) and ``municipality.openness_north`` (0.2, 0.4 the default, 0.8), since
the recommendation ties peer learning to openness to learn. Everything else at
the default scenario.

Outcomes (final month): ``mutuality``, ``learning_gain_north`` and
``learning_gain_south`` (capacity building in the South).

Comparisons and verdicts (paired by replication, bootstrap 95 % intervals):
peer against donor at each openness level, one verdict per outcome
(``depends on municipality.openness_north`` when it holds at some levels only).
"""

from __future__ import annotations

from pathlib import Path

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "Peer-to-peer learning"
CLAIM = """The strength of peer-to-peer learning (colleague to colleague, as equals) should be better
used in capacity building: equal exchanges and openness to learn make learning mutual and
strengthen governments and institutions."""
SOURCE = """Recommendation 3, shared/seeds/recommendations.txt ("The strength of peer-to-peer
learning should be better utilized in capacity building efforts, by fostering equal exchanges and
the openness to learn"); LOGO South's colleague-to-colleague model."""
DESIGN = """Exchange mode (peer: both ways; donor: North to South only) crossed with the Dutch
openness to learn (0.2, 0.4, 0.8). Outcomes at the end of the run: mutuality, Dutch learning and
southern learning (capacity building)."""
TABLES = ("summary",)
QUICK = ["municipality.openness_north=0.2,0.8"]

MODE = "programme.mode"
OPEN = "municipality.openness_north"
OUTCOMES = {
    "mutuality": ("mutuality (min/max of gains)", "Peer-to-peer exchange makes learning more mutual"),
    "learning_gain_north": ("Dutch learning gain", "Peer-to-peer exchange raises Dutch learning"),
    "learning_gain_south": ("southern learning gain", "Peer-to-peer exchange builds more capacity in the South"),
}


def analyse(data: Data) -> Analysis:
    s = data.summary
    rows, verdicts = [], []
    for outcome, (_, question) in OUTCOMES.items():
        effects = {}
        for o in data.levels(OPEN):
            e = stats.contrast(s, outcome, {MODE: "peer", OPEN: o}, {MODE: "donor", OPEN: o})
            effects[f"openness {o:g}"] = e
            rows.append((question, outcome, f"peer vs donor, openness_north {o:g}", e))
        verdicts.append(stats.verdict(question, effects, moderator=OPEN))
    cells = stats.cell_means(s, [MODE, OPEN], list(OUTCOMES))
    return Analysis(verdicts, effects_table(rows), cells)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    return plotting.outcome_panels(analysis.cells, {k: label for k, (label, _) in OUTCOMES.items()}, OPEN, MODE,
                                   stem, xlabel="Dutch openness to learn", order=["peer", "donor"],
                                   labels={"peer": "peer to peer", "donor": "donor to recipient"})
