"""R3 peer-to-peer learning: do equal exchanges beat donor-recipient ones?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r3.yaml``; run with ``c2c-sim-experiment r3``.

Design. Two factors, crossed (6 cells, 100 replications each, 120 months):
``programme.mode`` (``peer``: knowledge may flow both ways in programme
exchanges; ``donor``: they are one-way, North to South, the North comes to
teach) and ``municipality.openness_north`` (0.2, 0.4 the default, 0.8), since
the recommendation ties peer learning to openness to learn. Everything else at
the default scenario.

Outcomes (final month), caused by the partnership (each replication minus its
twin without partnership activity, ``caused: true``): ``mutuality_caused``,
``learning_caused_north`` and ``learning_caused_south`` (capacity building in
the South).

Comparisons and verdicts (paired by replication; the verdict rule of
:mod:`c2c_sim.stats`, Holm-adjusted across the experiment): peer against donor
at each openness level, one verdict per outcome (``depends on
municipality.openness_north`` when it holds at some levels only).

Assumed, not tested: donor mode sets every South-to-North transfer through the
partnership to zero (``rules.direction_weight``), which is the channel the Dutch
learning and mutuality effects are made of, so those two verdicts follow from
the switch and are reported as assumptions; their size is not (``COUNTER``: it
vanishes where the Dutch do not take in what they meet). Southern capacity is
tested: nothing in the model ties the South's learning to the exchange's
equality, so it can only come out not supported: it is reported "not testable
here" (issue 11: each side's agency).
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
openness to learn (0.2, 0.4, 0.8). Outcomes at the end of the run, caused by the partnership (run minus
its twin): mutuality, Dutch learning and southern learning (capacity building). The first two are
assumptions of the donor switch, not tests; the third has no mechanism in the model."""
TABLES = ("summary",)
QUICK = ["municipality.openness_north=0.2,0.8"]

MODE = "programme.mode"
OPEN = "municipality.openness_north"
OUTCOMES = {
    "mutuality_caused": ("mutuality of caused learning", "Peer-to-peer exchange makes learning more mutual"),
    "learning_caused_north": ("Dutch learning (caused)", "Peer-to-peer exchange raises Dutch learning"),
    "learning_caused_south": ("southern learning (caused)", "Peer-to-peer exchange builds more capacity in the South"),
}
MAIN = "Peer-to-peer exchange raises Dutch learning"
BLOCKED = ("donor mode deletes every South-to-North transfer through the partnership (rules.direction_weight), the "
           "channel this effect is made of")
ASSUMED = {"mutuality_caused": BLOCKED, "learning_caused_north": BLOCKED}
UNTESTABLE = {"learning_caused_south": ("nothing in the model ties the South's learning to the equality of the "
                                        "exchange, so it can only come out not supported")}
FALSIFIERS = {
    "Peer-to-peer exchange makes learning more mutual": ("Assumed: donor mode removes the Dutch side's learning "
                                                         "through the partnership. Its size would be small where "
                                                         "the Dutch take in little (low openness, high distance)."),
    MAIN: ("Assumed, as above; the size of the effect is tested by COUNTER: where the Dutch cannot take in what they "
           "meet, peer exchange teaches them nothing either."),
    "Peer-to-peer exchange builds more capacity in the South": (
        "Nothing in the model ties the South's learning to the equality of the exchange (no motivation, ownership "
        "or trust effect of being treated as a peer), so this can only come out not supported; a mechanism by which "
        "equal exchange raises the South's participation would make it testable."),
}
COUNTER = {"question": MAIN, "overrides": ["municipality.openness_north=0.0", "knowledge.openness_other=0.0"],
           "why": ("With the Dutch side closed to learning (municipalities' openness 0, and CSOs', migrants' and "
                   "national bodies' too) peer exchange teaches it nothing, so the effect the switch is assumed to "
                   "produce is zero: its size is the model's, not the switch's. (Closing the municipalities alone "
                   "is not enough: Dutch CSOs still learn from their partners at CSO-CSO exchanges.)")}


def analyse(data: Data) -> Analysis:
    s = data.summary
    rows, verdicts = [], []
    for outcome, (_, question) in OUTCOMES.items():
        effects = {}
        for o in data.levels(OPEN):
            e = stats.contrast(s, outcome, {MODE: "peer", OPEN: o}, {MODE: "donor", OPEN: o})
            effects[f"openness {o:g}"] = e
            rows.append((question, outcome, f"peer vs donor, openness_north {o:g}", e))
        verdicts.append(stats.verdict(question, effects, moderator=OPEN, assumed=ASSUMED.get(outcome, ""),
                                      untestable=UNTESTABLE.get(outcome, "")))
    cells = stats.cell_means(s, [MODE, OPEN], list(OUTCOMES))
    return Analysis(verdicts, effects_table(rows), cells)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    return plotting.outcome_panels(analysis.cells, {k: label for k, (label, _) in OUTCOMES.items()}, OPEN, MODE,
                                   stem, xlabel="Dutch openness to learn", order=["peer", "donor"],
                                   labels={"peer": "peer to peer", "donor": "donor to recipient"})
