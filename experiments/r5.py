"""R5 long-term engagement: how long must a programme run for learning to take root and last?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r5.yaml``; run with ``c2c-sim-experiment r5``.

Design. Three factors, crossed (28 cells, 100 replications each, 156 months):

* ``programme.duration``: 3, 6, 12, 24, 48, 96, 120 months;
* the budget rule (``programme`` preset): ``logo_south`` pays 60 k EUR a year
  per partnership whatever the duration (equal monthly budget, so a longer
  programme also costs more); ``fixed_total`` pays 240 k EUR in all, spread
  over the paid months (equal total budget: the same money, short and intense
  or long and thin);
* ``programme.pattern``: ``continuous`` or piecemeal ``bursts`` (3 months of
  paid activity, 9 without, repeated over the duration).

Outcomes, read from the monthly series ``W = 36`` months after the programme
ends (``W`` shrinks to the months left in quick mode), so every cell is judged
on what is left the same time after its programme, caused by the partnership
where a twin can tell (``caused: true``: each replication minus its twin
without partnership activity): learning (the mean of
``learning_caused_north`` and ``learning_caused_south``), institutionalised
knowledge (``institutional_knowledge_caused``), exchange activity after the
programme (events a month, all partnerships, over those ``W`` months; the twin
has none) and the partnerships still alive.

What could make it false: see ``FALSIFIERS``. At equal monthly budget a longer
programme pays for more exchanges, so more learning follows from the money; the
test of time itself is the equal total budget, where the same money is spread
thin or spent fast. Two mechanisms make calendar time matter: what an actor
takes in within a month saturates (``knowledge.monthly_intake``,
``rules.absorbed``), so visits packed into a short programme teach less than
the same visits spread out; and familiarity grows with each event and fades
without (``rules.update_familiarity``), lowering the distance on the
partnership's contacts. Against that, forgetting and turnover erase what is
not used, and trust decays between sparse visits; the equal-total comparison
reports whichever wins.
``COUNTER`` names a setting where the main verdict fails.

Comparisons and verdicts (paired by replication, bootstrap 95 % intervals):

* duration: the longest programme against the shortest, per budget rule
  (continuous pattern). The claim holds for an outcome when the effect clears
  its smallest effect of interest (the verdict rule of :mod:`c2c_sim.stats`);
  ``depends on the budget rule`` when it holds under one rule only.
* piecemeal: continuous against bursts at 48 months (LOGO South's four years),
  per budget rule, on learning.
* thresholds, two plain definitions, per budget rule (continuous, learning):
  the *first duration that matters*, the shortest duration whose effect over
  the 3-month programme clears its smallest effect of interest on its own
  (unadjusted; 5 % of the 3-month mean, :data:`c2c_sim.stats.MIN_RELATIVE`); and
  the *saturation duration*,
  the duration at which mean learning first reaches 90 % of its largest gain
  over the 3-month programme (interpolated on a log scale, bootstrap interval
  over replications; see :func:`c2c_sim.stats.saturation_level`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "Long-term engagement"
CLAIM = """Piecemeal actions are not sufficient: trust, getting to know each other, cultural and
language barriers and tacit knowledge need time and resources, so mutual learning takes root and
lasts only with long-term engagement."""
SOURCE = """Recommendation 5, shared/seeds/recommendations.txt ("Piece meal actions are not
sufficient; adequate investment of time and other resources as well as long-term engagement are
required for mutual learning processes to be successful")."""
DESIGN = """Programme duration (3 to 120 months) crossed with the budget rule (equal monthly budget of
60 k EUR a year, or an equal total of 240 k EUR spread over the paid months) and the pattern
(continuous, or piecemeal bursts of 3 paid months in 12). Every cell is measured 36 months after its
programme ends: learning (mean gain of partnered North and South), institutionalised knowledge,
exchange activity in those 36 months and partnerships still alive. Thresholds: the first duration
whose learning exceeds the 3-month programme's by at least 5 % (whole interval), and the duration
reaching 90 % of the largest learning gain."""
TABLES = ("summary", "series")
QUICK = ["programme.duration=3,24", "months=48"]

WINDOW = 36
RULES = {"logo_south": "equal monthly budget", "fixed_total": "equal total budget"}
OUTCOMES = {
    "learning": "learning",
    "institutional_knowledge_caused": "institutionalised knowledge",
    "activity_after": "exchanges a month after the programme",
    "partnerships_alive": "partnerships alive",
}
AXIS = {"learning": "learning caused (North, South)", "institutional_knowledge_caused": "institutional knowledge caused",
        "activity_after": "exchanges a month, after", "partnerships_alive": "partnerships alive (of 5)"}
PIECEMEAL_AT = 48
MAIN = "Longer engagement leaves more learning"
FALSIFIERS = {
    MAIN: ("At equal monthly budget the longer programme also has more money; at equal total budget only time "
           "differs: absorptive capacity per month and familiarity favour spreading the visits, forgetting, "
           "turnover and trust decay between sparse visits favour packing them, so it can come out either way; "
           "where programme money buys no exchange "
           "(programme.cost_per_visit far above the budget) duration cannot matter."),
    "Longer engagement leaves more institutionalised knowledge": (
        "Memory takes up what staff know at institutionalisation_rate, month by month; if what staff learnt is "
        "forgotten or leaves with turnover before it is taken up, a longer programme leaves no more."),
    "Longer engagement leaves more exchanges a month after the programme": (
        "Exchanges after the programme come from own means (proactivity x trust); if trust built by a long "
        "programme decays before it ends, or partnerships end for dormancy, nothing is left."),
    "Continuous engagement beats piecemeal bursts (learning)": (
        "Under the equal total budget bursts spend the same money in fewer months (under the equal monthly budget "
        "a quarter of it); with a loose limit on what an actor takes in within a month (knowledge.monthly_intake "
        "large, or 0 for none) and little familiarity to lose between bursts, intensity is as good as continuity."),
}
COUNTER = {"question": MAIN, "overrides": ["programme.cost_per_visit=1000", "municipality.own_activity_rate=0"],
           "why": ("When one visit costs 1,000 k EUR, neither budget rule's programme pays for an exchange (the "
                   "equal total is 240 k EUR, the monthly budget 5 k EUR), and with no own-means exchanges nothing "
                   "else fills the longer window (a longer programme is read later, 36 months after its end, so "
                   "own-means exchanges alone would give it more months of learning), so duration cannot change "
                   "learning.")}


def window(data: Data) -> int:
    return int(min(WINDOW, data.months - max(data.levels("programme.duration"))))


def outcomes(data: Data) -> pd.DataFrame:
    """One row per cell and replication: the outcomes ``W`` months after the programme ended."""
    s = data["series"]
    w = window(data)
    if w < 1:
        raise ValueError(f"the horizon ({data.months} months) leaves no time after the longest programme")
    keys = ["programme", "programme.pattern", "programme.duration", "replication"]
    end = s["programme.duration"]
    after = s[(s.month > end) & (s.month <= end + w)]
    activity = after.groupby(keys, sort=False)["exchange_events"].mean().rename("activity_after")
    at = s[s.month == end + w].set_index(keys)
    out = pd.DataFrame({
        "learning": 0.5 * (at["learning_caused_north"] + at["learning_caused_south"]),
        "institutional_knowledge_caused": at["institutional_knowledge_caused"],
        "partnerships_alive": at["partnerships_alive"],
    }).join(activity)
    return out.reset_index()


def analyse(data: Data) -> Analysis:
    df = outcomes(data)
    durations = data.levels("programme.duration")
    shortest, longest = durations[0], durations[-1]
    rows, verdicts, notes = [], [], []
    for outcome, label in OUTCOMES.items():
        if outcome == "partnerships_alive":
            continue
        question = f"Longer engagement leaves more {label}"
        effects = {}
        for rule, rule_label in RULES.items():
            e = stats.contrast(df, outcome, {"programme": rule, "programme.pattern": "continuous",
                                             "programme.duration": longest},
                               {"programme": rule, "programme.pattern": "continuous", "programme.duration": shortest})
            effects[rule_label] = e
            rows.append((question, outcome, f"{longest} vs {shortest} months, {rule_label}", e))
        verdicts.append(stats.verdict(question, effects, moderator="the budget rule"))
    if PIECEMEAL_AT in durations:
        question = "Continuous engagement beats piecemeal bursts"
        effects = {}
        for outcome in ("learning", "institutional_knowledge_caused", "activity_after"):
            for rule, rule_label in RULES.items():
                e = stats.contrast(df, outcome, {"programme": rule, "programme.pattern": "continuous",
                                                 "programme.duration": PIECEMEAL_AT},
                                   {"programme": rule, "programme.pattern": "bursts",
                                    "programme.duration": PIECEMEAL_AT})
                rows.append((question, outcome, f"continuous vs bursts, {PIECEMEAL_AT} months, {rule_label}", e))
                if outcome == "learning":
                    effects[rule_label] = e
        verdicts.append(stats.verdict(question + " (learning)", effects, moderator="the budget rule"))
    thresholds = {}
    for rule, rule_label in RULES.items():
        cell = df[(df.programme == rule) & (df["programme.pattern"] == "continuous")]
        x, Y = stats.curve_matrix(cell, "programme.duration", "learning")
        sat = stats.saturation_level(x, Y, fraction=0.9, log_x=True)  # a level (months), not an effect: no bar
        rows.append(("Threshold", "learning", f"duration reaching 90 % of the largest gain (months), {rule_label}",
                     sat))
        effs = []
        for d in durations[1:]:
            e = stats.contrast(cell, "learning", {"programme.duration": d}, {"programme.duration": shortest})
            effs.append(e)
            rows.append(("Effect of duration", "learning", f"{d} vs {shortest} months, {rule_label}", e))
        first = stats.first_level_holding(durations[1:], [e.about("learning_caused") for e in effs])
        thresholds[rule] = (first, sat)
        notes.append(f"{rule_label}: the first duration whose learning exceeds the {shortest}-month programme's "
                     f"by its smallest effect of interest ({stats.MIN_RELATIVE:.0%}, unadjusted test) is "
                     f"{f'{first} months' if first is not None else 'none'}; learning "
                     f"reaches 90 % of its largest gain at {sat.estimate:.0f} months "
                     f"[{sat.lo:.0f}, {sat.hi:.0f}].")
    notes.append(f"Outcomes are read {window(data)} months after each programme's end (activity: mean exchange "
                 f"events a month over those months, all partnerships together).")
    cells = stats.cell_means(df, ["programme", "programme.pattern", "programme.duration"], list(OUTCOMES))
    return Analysis(verdicts, effects_table(rows), cells, notes, extra={"thresholds": thresholds}, table=df)


STYLES = {("logo_south", "continuous"): (plotting.PALETTE[0], "-", "o"),
          ("fixed_total", "continuous"): (plotting.PALETTE[1], "-", "s"),
          ("logo_south", "bursts"): (plotting.PALETTE[0], ":", "o"),
          ("fixed_total", "bursts"): (plotting.PALETTE[1], ":", "s")}


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    cells = analysis.cells.copy()
    cells["group"] = list(zip(cells["programme"], cells["programme.pattern"]))
    labels = {k: f"{RULES[k[0]]}, {k[1]}" for k in STYLES}
    fig, axes = plotting.panels(4, ncols=2, height=2.0)
    for ax, letter, outcome in zip(axes, "abcd", OUTCOMES):
        part = cells[cells.outcome == outcome]
        plotting.effect_vs_parameter(ax, part, "programme.duration", group="group", order=list(STYLES),
                                     labels=labels, styles=STYLES, logx=True, xlabel="programme duration (months)",
                                     ylabel=AXIS[outcome])
        plotting.panel_label(ax, letter)
    for rule, (_first, sat) in analysis.extra["thresholds"].items():
        if np.isfinite(sat.estimate):
            color = STYLES[(rule, "continuous")][0]
            axes[0].axvline(sat.estimate, color=color, linewidth=0.6, linestyle="--", alpha=0.7)
    plotting.legend_below(fig, axes[0], ncol=4)
    fig.suptitle(f"Outcomes {window(data)} months after the programme ends (mean and 95 % CI over "
                 f"{data.replications} replications; dashed: 90 % saturation)", fontsize=7)
    return plotting.save(fig, stem)


ROBUSTNESS = {"question": MAIN, "outcomes": ["learning"], "table": outcomes, "tables": ["series"],
              "effects": [{"label": label,
                           "treatment": {"programme": rule, "programme.pattern": "continuous", "programme.duration": 120},
                           "control": {"programme": rule, "programme.pattern": "continuous", "programme.duration": 3}}
                          for rule, label in RULES.items()]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness r5``: 120 against 3 months,
continuous, at the equal monthly and at the equal total budget (both must hold; learning read the same
window after each programme ended)."""
