"""The 2000-2017 timeline: the history as it happened against three counterfactual policies.

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/timeline.yaml``; run with ``c2c-sim-experiment timeline``.

Design. Four cells on the model's calendar (month 1 = January 2000, :mod:`c2c_sim.calendar`), 100
replications each, 216 months to December 2017, the ``scenario`` preset swept:

* ``timeline``, the history of ``../shared/domain.md`` as it happened: three Dutch-Moroccan and two
  Dutch-Turkish partnerships from 2000 on, the first a Zeist-Berkane-like pair (a large community
  from the partner city, ``world.large_communities``); LOGO South-like support from 2000, cut to zero
  from 2011-01 by the parliamentary amendment; the successor programme 2012-2016 with 35 % less budget
  and no co-financing of Dutch municipal initiatives (``programme.successor_*``,
  :func:`c2c_sim.rules.programme_cofinanced`); the Dutch-Turkish partnerships terminated in March 2017
  (except those local support shields);
* ``timeline_no_cut``: no 2011 cut, the programme unchanged to the end of 2016, no successor;
* ``timeline_long_term``: a long-term programme from 2000 to the end of 2017 that serves both sides'
  objectives (coherence 1) with clear learning objectives (R1, R5), no cut, no successor;
* ``timeline_migrants``: the history as it happened with migrant-inclusive partnerships (R7: the
  ``migrant_inclusive`` preset's involvement, outreach and facilitators).

No cell runs at the default scenario: the ``scenario`` preset is what is swept, so each cell is its
file's values and only what the file does not set is at the defaults. Each counterfactual changes only
what its file says (a test checks the differences). Outcomes are
read in December 2017, caused by the partnerships (``caused: true``: each replication minus its twin
without partnership activity): learning of partnered North and South (``learning_caused_*``),
institutionalised knowledge, practices adopted, and partnerships alive; and whether the
Zeist-Berkane-like pair lived ten years or more (the ``partnerships`` table).

What could make it false: see ``FALSIFIERS``. Programme money buys exchanges, so a programme that
runs longer pays for more; whether that leaves more learning in 2017 depends on what is forgotten
and what leaves with turnover between 2011 and 2017, on the intake limit of a month
(``knowledge.monthly_intake``) and on whether own-means exchanges carry the partnerships anyway.
``COUNTER`` names a setting where the main verdict fails.

Comparisons and verdicts (paired by replication; the verdict rule of :mod:`c2c_sim.stats`,
Holm-adjusted across the experiment): each counterfactual against the history, on learning (North
and South, both must hold), institutional knowledge and partnerships alive. The figure shows learning
(the mean of North and South), exchange activity (a centred 12-month moving mean) and partnerships alive
over calendar time with the events marked.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import pandas as pd

from c2c_sim import calendar, plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "The 2000-2017 timeline and its counterfactuals"
CLAIM = """Funding and politics decide how long a partnership lives: the 2011 cut of LOGO South, its
smaller successor without co-financing of Dutch initiatives and the 2017 terminations cut mutual
learning short; long-term engagement (R5) serving both sides (R1), or partnerships that involve
migrants (R7), would have left more learning by 2017."""
SOURCE = """shared/domain.md ("Funding and politics decide how long a partnership lives": the 2011
LOGO South budget cut to zero by a parliamentary amendment, the 2012-2016 successor with 35 % less
budget and no co-financing of Dutch municipal initiatives, the March 2017 terminations, Zeist-Berkane);
recommendations 1, 5 and 7, shared/seeds/recommendations.txt."""
DESIGN = """The 2000-2017 history as it happened (partnerships from 2000, LOGO South-like support cut to
zero from 2011-01, the successor 2012-2016 with 35 % less budget and no co-financing of Dutch
initiatives, Dutch-Turkish partnerships terminated in March 2017, a Zeist-Berkane-like pair) against
three counterfactuals: no 2011 cut, a long-term coherent programme with a learning strategy from 2000,
and migrant-inclusive partnerships. The swept parameter is the scenario itself: each cell is its
scenario preset (configs/scenario/timeline*.yaml), and only what that file does not set is at the
defaults, so "everything else at the default scenario" below means everything outside the cell's
scenario file. Outcomes in December 2017, caused by the partnerships (run minus its twin without
partnership activity)."""
TABLES = ("summary", "series", "partnerships")
QUICK = ["months=2017-12", "world.staff_per_municipality=4", "world.migrants_per_city=10"]

HISTORY = "timeline"
COUNTERFACTUALS = {"timeline_no_cut": "no 2011 cut", "timeline_long_term": "long-term programme from 2000",
                   "timeline_migrants": "migrant-inclusive partnerships"}
LABELS = {HISTORY: "as it happened", **COUNTERFACTUALS}
EVENTS = {"2011-01": "LOGO South cut to zero", "2012-01": "successor programme",
          "2017-03": "Turkish partnerships terminated"}
MAIN = "Without the 2011 cut, the partnerships would have learnt more by 2017"
QUESTIONS = {
    "timeline_no_cut": MAIN,
    "timeline_long_term": "A long-term programme from 2000 would have left more learning by 2017",
    "timeline_migrants": "Migrant-inclusive partnerships would have left more learning by 2017",
}
LEARNING = {"learning_caused_north": "North", "learning_caused_south": "South"}
OTHER = {"institutional_knowledge_caused": "institutionalised knowledge", "partnerships_alive": "partnerships alive"}
FALSIFIERS = {
    MAIN: ("The cut takes away the exchanges programme money paid for in 2011-2016; if what was learnt in them "
           "is forgotten (knowledge.forget_rate) or leaves with turnover before 2017, if a month's intake limit "
           "makes the extra visits teach little, or if own-means exchanges carry the partnerships as far "
           "anyway, no more is left in 2017; where programme money buys no exchange (programme.cost_per_visit "
           "far above the budget) the cut changes nothing."),
    QUESTIONS["timeline_long_term"]: (
        "A coherent agenda serves the Dutch objectives at the South's expense and a learning strategy focuses "
        "only as far as familiarity allows (partnership.strategy_familiarity); if the South's learning falls "
        "with coherence more than it gains from longer support, one of the two sides is not better off."),
    QUESTIONS["timeline_migrants"]: (
        "Involved migrants bridge distance and build local support; if involvement adds low-trust ties and "
        "facilitation removes little distance (migrants.bridge small), or if the partnerships end anyway with "
        "the programme money, learning by 2017 does not rise."),
    "Without the 2011 cut, more partnerships would have been alive in 2017": (
        "Partnerships end for dormancy once exchanges stop; if own-means activity alone keeps them active "
        "(high proactivity, trust and support) or all end before 2011 anyway, the cut changes nothing."),
}
COUNTER = {"question": MAIN, "overrides": ["programme.cost_per_visit=1000"],
           "why": ("When one visit costs 1,000 k EUR, neither LOGO South's budget (60 k EUR a year per "
                   "partnership) nor its successor's pays for an exchange, so cutting the programme takes "
                   "nothing away: the exchanges come from own means alone, the same with and without the cut.")}


def pair_lived(data: Data, years: int = 10) -> pd.DataFrame:
    """Per cell and replication: the months the Zeist-Berkane-like pair (partnership 0) was alive and
    whether that is ``years`` or more."""
    pt = data["partnerships"]
    first = pt[pt.partnership == 0]
    alive = first[first.alive].groupby(["scenario", "replication"]).month.max()
    out = first[["scenario", "replication"]].drop_duplicates().set_index(["scenario", "replication"])
    out["pair_months_alive"] = alive.reindex(out.index).fillna(0).astype(int)
    out["pair_lived_10_years"] = out["pair_months_alive"] >= 12 * years
    return out.reset_index()


def analyse(data: Data) -> Analysis:
    s = data.summary
    rows, verdicts = [], []
    for cf, question in QUESTIONS.items():
        effects = {}
        for outcome, side in LEARNING.items():
            e = stats.contrast(s, outcome, {"scenario": cf}, {"scenario": HISTORY})
            effects[side] = e
            rows.append((question, outcome, f"{COUNTERFACTUALS[cf]} vs as it happened, {side}", e))
        verdicts.append(stats.verdict(question, effects, moderator="the side"))
        for outcome, label in OTHER.items():
            e = stats.contrast(s, outcome, {"scenario": cf}, {"scenario": HISTORY})
            rows.append((f"{COUNTERFACTUALS[cf]}: {label}", outcome, f"{COUNTERFACTUALS[cf]} vs as it happened", e))
    question = "Without the 2011 cut, more partnerships would have been alive in 2017"
    e = stats.contrast(s, "partnerships_alive", {"scenario": "timeline_no_cut"}, {"scenario": HISTORY})
    verdicts.append(stats.verdict(question, {"partnerships alive in 2017-12": e}))
    pair = pair_lived(data)
    table = s.merge(pair, on=["scenario", "replication"], how="left")
    cells = stats.cell_means(table, ["scenario"], [*LEARNING, *OTHER, "pair_months_alive"])
    lived = pair.groupby("scenario").pair_lived_10_years.mean()
    end = calendar.label(data.months)
    notes = [f"Outcomes read in {end} (month {data.months}); month 1 is {calendar.label(1)}. Events: "
             + "; ".join(f"{d} (month {calendar.month_of(d)}) {what}" for d, what in EVENTS.items()) + ".",
             "The Zeist-Berkane-like pair (partnership 0, a large community from its partner city) lived ten "
             "years or more in this share of the replications: " + ", ".join(
                 f"{lived.get(k, float('nan')):.0%} ({v})" for k, v in LABELS.items()) + "."]
    return Analysis(verdicts, effects_table(rows), cells, notes, extra={"pair": lived.to_dict()}, table=table)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    series = data["series"].copy()
    P = int(data.config["world"]["partnerships_morocco"]) + int(data.config["world"]["partnerships_turkey"])
    series["learning_caused"] = 0.5 * (series["learning_caused_north"] + series["learning_caused_south"])
    series["events_per_partnership"] = series["exchange_events"] / max(P, 1)
    panels = {"learning_caused": "learning caused (mean of North and South)",
              "events_per_partnership": "exchanges a month per partnership",
              "partnerships_alive": f"partnerships alive (of {P})"}
    fig, axes = plotting.panels(len(panels), ncols=3, height=2.2)
    order = [k for k in LABELS if k in set(series["scenario"])]
    for ax, letter, (col, ylabel) in zip(axes, "abc", panels.items()):
        for j, sc in enumerate(order):
            part = series[series["scenario"] == sc]
            if col == "events_per_partnership":  # a centred year's moving mean: monthly counts are noisy
                part = part.sort_values(["replication", "month"]).copy()  # (centred: a drop shows in its month)
                part[col] = part.groupby("replication")[col].transform(
                    lambda x: x.rolling(12, min_periods=1, center=True).mean())
            plotting.band_plot(ax, part, "date", col, LABELS[sc], plotting.PALETTE[j % len(plotting.PALETTE)])
        for d in EVENTS:
            if calendar.month_of(d) <= data.months:
                ax.axvline(calendar.dates(calendar.month_of(d)), color="0.5", linewidth=0.7, linestyle=":")
        ax.set_xlabel("year")
        ax.set_ylabel(ylabel)
        plotting.panel_label(ax, letter)
    for ax in axes:
        ax.xaxis.set_major_locator(mdates.YearLocator(4))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    marks = [f"{d} {what}" for d, what in EVENTS.items() if calendar.month_of(d) <= data.months]
    title = ("dotted lines: " + "; ".join(marks)) if marks else None
    plotting.legend_below(fig, axes[0], ncol=len(order), title=title, title_fontsize=7)
    return plotting.save(fig, stem)


ROBUSTNESS = {"question": MAIN, "outcomes": list(LEARNING),
              "effects": [{"label": "no 2011 cut", "treatment": {"scenario": "timeline_no_cut"},
                           "control": {"scenario": HISTORY}}]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness timeline``: no 2011 cut
against the history as it happened, both sides' caused learning in 2017-12 (both must hold)."""
