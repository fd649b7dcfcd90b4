"""R3 peer-to-peer learning: do equal exchanges beat donor-recipient ones?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r3.yaml``; run with ``c2c-sim-experiment r3``.

Design. Two factors, crossed (6 cells, 100 replications each, 120 months):
``programme.mode`` (``peer``: colleague to colleague, both ways, delegations
matched by field; ``donor``: the visiting North comes to teach, sets the
agenda on the South's deficits, does not match delegations and is less open to
learn, ``programme.donor_*``) and ``municipality.openness_north`` (0.2, 0.4 the default, 0.8), since
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

Mechanisms (parameters with ranges, not a switch that deletes a direction):
colleague matching, ``programme.matching`` (same-field counterparts at an
exchange learn more in their field, both ways; ``rules.learn_layer``); the
donor's openness, ``programme.donor_openness`` (what the Dutch side takes in
from the South through the partnership, as a share: ``rules.direction_weight``);
and the donor's agenda, ``programme.donor_agenda`` (set on the South's deficits
instead of its objectives: ``rules.exchange_agenda``). All three verdicts are
tested: each can come out either way (``COUNTER``: with the donor as open as a
peer, the agenda left to the objectives and no matching, peer and donor are the
same).
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
DESIGN = """Exchange mode (peer: colleague to colleague, both ways, matched by field; donor: the North
teaches, on the South's deficits, unmatched, less open to learn) crossed with the Dutch openness to learn
(0.2, 0.4, 0.8). Outcomes at the end of the run, caused by the partnership (run minus its twin):
mutuality, Dutch learning and southern learning (capacity building)."""
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
FALSIFIERS = {
    "Peer-to-peer exchange makes learning more mutual": (
        "A donor nearly as open as a peer (programme.donor_openness near 1) and little colleague matching leave the "
        "Dutch side's learning as it is; a donor agenda on the South's deficits can raise the South's learning and "
        "so make it less mutual still, or more, depending on where the deficits lie."),
    MAIN: ("The Dutch side learns less in donor mode only by programme.donor_openness and the lost matching: with "
           "the donor as open as a peer and no matching (COUNTER) the two modes are the same."),
    "Peer-to-peer exchange builds more capacity in the South": (
        "The donor's agenda on the South's deficits may teach the South more than an agenda on its objectives "
        "(the deficits are where there is most to learn), against the matched colleagues of a peer exchange; "
        "either can win."),
}
COUNTER = {"question": MAIN, "overrides": ["programme.donor_openness=1.0", "programme.matching=0.0",
                                           "programme.donor_agenda=0.0"],
           "why": ("With the donor as open to learn as a peer, its agenda left to the partners' objectives and no "
                   "colleague matching in peer exchanges, donor and peer exchanges are the same, so peer exchange "
                   "raises Dutch learning by nothing: the effect is the model's three mechanisms, not a switch.")}


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


ROBUSTNESS = {"question": MAIN, "outcomes": ["learning_caused_north"],
              "effects": [{"label": f"openness {o:g}", "treatment": {MODE: "peer", OPEN: o},
                           "control": {MODE: "donor", OPEN: o}} for o in (0.2, 0.4, 0.8)]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness r3``: peer against donor
exchange at each openness level of the design (all must hold)."""
