"""R1 policy coherence and openness to learn: does the Dutch side learn when the programme serves it too?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r1.yaml``; run with ``c2c-sim-experiment r1``.

Design. Two factors, crossed (8 cells, 30 replications each, 120 months):
``programme.coherence`` (0: the programme serves the South's objectives only,
as the Ministry of Foreign Affairs' governance programmes did; 1: both sides'
objectives count, including Dutch domestic issues such as dealing with
diversity) and ``municipality.openness_north``, the Dutch municipalities'
openness to learn (0.2, 0.4 the default, 0.6, 0.8). Everything else at the
default scenario.

Outcomes (final month): ``learning_gain_north`` (Dutch learning),
``mutuality`` (min/max of the two sides' gains: 1 when both learn equally) and,
for context, ``learning_gain_south``.

Comparisons and verdicts (paired by replication, bootstrap 95 % intervals):
coherence 1 against 0 at each openness level, for Dutch learning and for
mutuality (``depends on municipality.openness_north`` when it holds at some
levels only); and the slope over openness at each coherence level (replications
resampled whole), for the same two outcomes.
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
the Dutch municipalities' openness to learn (0.2 to 0.8). Outcomes at the end of the run: Dutch
learning gain and mutuality (and, for context, southern learning)."""
TABLES = ("summary",)
QUICK = ["municipality.openness_north=0.2,0.8"]

COH = "programme.coherence"
OPEN = "municipality.openness_north"
OUTCOMES = {"learning_gain_north": "Dutch learning gain", "learning_gain_south": "southern learning gain",
            "mutuality": "mutuality (min/max of gains)"}


def analyse(data: Data) -> Analysis:
    s = data.summary
    coh = data.levels(COH)
    lo_c, hi_c = coh[0], coh[-1]
    opens = data.levels(OPEN)
    rows, verdicts = [], []
    for outcome, question in (("learning_gain_north", "Policy coherence raises Dutch learning"),
                              ("mutuality", "Policy coherence raises mutuality"),
                              ("learning_gain_south", "Policy coherence raises southern learning")):
        effects = {}
        for o in opens:
            e = stats.contrast(s, outcome, {COH: hi_c, OPEN: o}, {COH: lo_c, OPEN: o})
            effects[f"openness {o:g}"] = e
            rows.append((question, outcome, f"coherence {hi_c:g} vs {lo_c:g}, openness_north {o:g}", e))
        if outcome != "learning_gain_south":  # context only: the claim is about the Dutch side and mutuality
            verdicts.append(stats.verdict(question, effects, moderator=OPEN))
    for outcome, question in (("learning_gain_north", "Openness to learn raises Dutch learning"),
                              ("mutuality", "Openness to learn raises mutuality")):
        effects = {}
        for c in coh:
            x, Y = stats.curve_matrix(s[s[COH] == c], OPEN, outcome)
            e = stats.slope(x, Y)
            effects[f"coherence {c:g}"] = e
            rows.append((question, outcome, f"slope per unit of openness_north, coherence {c:g}", e))
        verdicts.append(stats.verdict(question, effects, moderator=COH))
    cells = stats.cell_means(s, [COH, OPEN], list(OUTCOMES))
    return Analysis(verdicts, effects_table(rows), cells)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    return plotting.outcome_panels(analysis.cells, OUTCOMES, OPEN, COH, stem, xlabel="Dutch openness to learn",
                                   labels={0.0: "South's objectives only (0)", 1.0: "both sides' (1)"},
                                   legend={"title": "policy coherence", "title_fontsize": 7})
