"""R1 policy coherence and openness to learn: does the Dutch side learn when the programme serves it too?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r1.yaml``; run with ``c2c-sim-experiment r1``.

Design. Two factors, crossed (8 cells, 100 replications each, 120 months):
``programme.coherence`` (0: the programme serves the South's objectives only,
as the Ministry of Foreign Affairs' governance programmes did; 1: both sides'
objectives count, including Dutch domestic issues such as dealing with
diversity) and ``municipality.openness_north``, the Dutch municipalities'
openness to learn (0.2, 0.4 the default, 0.6, 0.8). Everything else at the
default scenario.

Outcomes (final month), all caused by the partnership (each replication minus
its twin without partnership activity, ``caused: true``):
``learning_on_objectives_caused_north`` (Dutch learning valued on the Dutch
side's own objectives, the outcome the claim is about),
``learning_caused_north`` (Dutch learning in all domains), ``mutuality_caused``
(min/max of the two sides' caused gains) and, for context,
``learning_caused_south``.

Comparisons and verdicts (paired by replication; the verdict rule of
:mod:`c2c_sim.stats`, Holm-adjusted across the experiment): coherence 1
against 0 at each openness level, for Dutch learning on its objectives and for
mutuality (``depends on municipality.openness_north`` when it holds at some
levels only); and the slope over openness at each coherence level
(replications resampled whole), for Dutch learning and mutuality.

What could make it false: see ``FALSIFIERS``. Coherence acts only on the
agenda of programme-paid exchanges (own-funded ones already follow both sides'
objectives), so where the programme pays for few exchanges or the two sides
want the same things it has nothing to change; a more Dutch agenda also takes
attention from what the South wants, so mutuality can fall. ``COUNTER`` names
a setting where the main verdict fails.
"""

from __future__ import annotations

from pathlib import Path

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "Policy coherence and openness to learn"
CLAIM = """Mutual learning grows when partners actively look for it, as equals and open to learn;
support programmes focused only on strengthening governance in the South held back learning by the
Dutch, so policy coherence that serves both sides' objectives is needed for mutual exchange."""
SOURCE = """Recommendation 1, shared/seeds/recommendations.txt ("Mutual learning can be increased by
actively looking for these opportunities within the exchange, based on equality and openness to
learn"; "If mutual exchange is to be facilitated, policy coherence is required")."""
DESIGN = """Policy coherence of the programme (0: South's objectives only; 1: both sides') crossed with
the Dutch municipalities' openness to learn (0.2 to 0.8). Outcomes at the end of the run, caused by the
partnership (run minus its twin without partnership activity): Dutch learning valued on the Dutch
side's own objectives, Dutch learning in all domains, mutuality (and, for context, southern learning)."""
TABLES = ("summary",)
QUICK = ["municipality.openness_north=0.2,0.8"]

COH = "programme.coherence"
OPEN = "municipality.openness_north"
OUTCOMES = {"learning_on_objectives_caused_north": "Dutch learning on its objectives (caused)",
            "learning_caused_north": "Dutch learning (caused)", "learning_caused_south": "southern learning (caused)",
            "mutuality_caused": "mutuality of caused learning"}
MAIN = "Policy coherence raises Dutch learning on its own objectives"
FALSIFIERS = {
    MAIN: ("Coherence changes only the agenda of programme-paid exchanges (rules.exchange_agenda: own-funded "
           "exchanges are fully coherent already). It fails where the programme pays for few of the exchanges, "
           "where the Dutch cannot take in what is offered (low openness), or where the two sides' objectives "
           "are alike, so a coherent agenda is the same agenda."),
    "Policy coherence raises mutuality": ("A more Dutch agenda takes attention from the South's objectives: if "
                                          "southern learning falls as much as Dutch learning rises, mutuality "
                                          "does not rise."),
    "Openness to learn raises Dutch learning": ("Openness scales what the Dutch take in per contact; it fails where "
                                               "contacts are too few or trust too low for anything to pass."),
    "Openness to learn raises mutuality": ("The Dutch side learns less than the South at every openness here; "
                                           "mutuality rises with openness only while Dutch learning stays below the "
                                           "South's, and the bar (0.02 per range of openness) may not be cleared."),
}
COUNTER = {"question": MAIN, "overrides": ["programme.budget_per_year=6"],
           "why": ("With a tenth of the default programme budget (6 k EUR a year, one paid visit every 20 months) "
                   "almost every exchange is own-funded and already coherent, so the programme's coherence has "
                   "nothing left to change.")}


def analyse(data: Data) -> Analysis:
    s = data.summary
    coh = data.levels(COH)
    lo_c, hi_c = coh[0], coh[-1]
    opens = data.levels(OPEN)
    rows, verdicts = [], []
    for outcome, question in (("learning_on_objectives_caused_north", MAIN),
                              ("mutuality_caused", "Policy coherence raises mutuality"),
                              ("learning_caused_south", "Policy coherence raises southern learning")):
        effects = {}
        for o in opens:
            e = stats.contrast(s, outcome, {COH: hi_c, OPEN: o}, {COH: lo_c, OPEN: o})
            effects[f"openness {o:g}"] = e
            rows.append((question, outcome, f"coherence {hi_c:g} vs {lo_c:g}, openness_north {o:g}", e))
        if outcome != "learning_caused_south":  # context only: the claim is about the Dutch side and mutuality
            verdicts.append(stats.verdict(question, effects, moderator=OPEN))
    for outcome, question in (("learning_caused_north", "Openness to learn raises Dutch learning"),
                              ("mutuality_caused", "Openness to learn raises mutuality")):
        effects = {}
        for c in coh:
            x, Y = stats.curve_matrix(s[s[COH] == c], OPEN, outcome)
            e = stats.slope(x, Y).about(outcome)
            effects[f"coherence {c:g}"] = e
            rows.append((question, outcome, f"slope per unit of openness_north, coherence {c:g}", e))
        verdicts.append(stats.verdict(question, effects, moderator=COH))
    cells = stats.cell_means(s, [COH, OPEN], list(OUTCOMES))
    return Analysis(verdicts, effects_table(rows), cells)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    return plotting.outcome_panels(analysis.cells, OUTCOMES, OPEN, COH, stem, xlabel="Dutch openness to learn",
                                   labels={0.0: "South's objectives only (0)", 1.0: "both sides' (1)"},
                                   legend={"title": "policy coherence", "title_fontsize": 7})


ROBUSTNESS = {"question": MAIN, "outcomes": ["learning_on_objectives_caused_north"],
              "effects": [{"label": f"openness {o:g}", "treatment": {COH: 1.0, OPEN: o}, "control": {COH: 0.0, OPEN: o}}
                          for o in (0.2, 0.4, 0.6, 0.8)]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness r1``: coherence 1 against 0
at each openness level of the design (all must hold, as for ``supported``)."""
