"""R6 proactive cities: do partnerships of cities that act, not re-act, survive a funding cut?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r6.yaml``; run with ``c2c-sim-experiment r6``.

Design. Two factors, crossed (4 cells, 100 replications each, 120 months):
the proactivity of the Dutch municipalities (``municipality.proactivity_north``)
and of their southern partners (``municipality.proactivity_south``), each low
(0.1, re-actors) or high (0.7, actors); the default is 0.3. In every cell a
programme planned for 96 months loses its funding at month 24, as LOGO South's
budget was cut to zero by a parliamentary amendment in 2011
(``programme.duration: 96``, ``shocks.funding_cut_month: 24``).

Outcomes: what survives the cut, ``partnerships_alive`` at the end of the run
(of five) and ``activity_after_programme`` (exchange events per partnership a
month from the cut to the end).

Both outcomes are the partnership's own: a twin without partnership activity
holds no exchange and lets every partnership lapse for dormancy, so the run's
values are what the partnership caused, and no twin is run (``caused: false``).

Comparisons and verdicts (paired by replication; the verdict rule of
:mod:`c2c_sim.stats`, Holm-adjusted across the experiment): both sides
proactive against both re-active, one verdict per outcome (the main claim);
and high against low proactivity of one side, at each level of the other
side's, per side and outcome. Each side initiates own-means exchanges from its
own proactivity and the other side must take them up (``rules.take_up``,
``partnership.response_base``); the initiator sets their agenda and the Dutch
initiative carries the domestic motive (R1, ``rules.domestic_motive``), so the
two sides' effects can differ and both are tested.

What could make it false: see ``FALSIFIERS``. Proactivity raises own-means
exchanges (``municipality.own_activity_rate`` x each side's initiative x the
other's take-up x trust x local support); they keep
a partnership alive only if it would otherwise lapse for dormancy
(``municipality.dormancy_months``) and only if trust survives the cut. The figure follows the partnerships alive
month by month.
"""

from __future__ import annotations

from pathlib import Path

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "Proactive cities through a funding cut"
CLAIM = """Local governments could take a stronger position in shaping their international relations
and act as actors instead of re-actors; partnerships of proactive cities do not depend on programme
money alone and live on when it stops."""
SOURCE = """Recommendation 6, shared/seeds/recommendations.txt ("Local governments could take a
stronger position in formulating international relations and act more as actors instead of
're-actors'"); the 2011 LOGO South budget cut (shared/domain.md)."""
DESIGN = """Proactivity of the Dutch and of the southern municipalities, each low (0.1) or high (0.7),
crossed; a 96-month programme loses its funding at month 24 in every cell. Outcomes: partnerships
alive at the end of the run and exchange activity per partnership after the cut."""
TABLES = ("summary", "series")
QUICK = ["shocks.funding_cut_month=12"]

NORTH = "municipality.proactivity_north"
SOUTH = "municipality.proactivity_south"
OUTCOMES = {"partnerships_alive": "partnerships alive at the end",
            "activity_after_programme": "exchanges per partnership a month after the cut"}
MAIN = "Proactive cities keep more partnerships alive after a funding cut"
FALSIFIERS = {
    MAIN: ("Own-means exchanges keep a partnership alive only where it would otherwise lapse for dormancy: if "
           "partnerships outlive long silences (municipality.dormancy_months), or own activity is too rare "
           "(own_activity_rate, trust decaying after the cut), proactivity changes nothing."),
    "Proactive cities keep more exchanges per partnership a month after the cut": (
        "Own-means exchanges scale with proactivity and trust; if trust decays to nothing after the cut, even "
        "proactive cities stop."),
    "Proactive Dutch cities: more partnerships alive": (
        "A proactive side's initiatives need the other side to take them up (partnership.response_base): with a "
        "re-active partner who seldom does, or partnerships that outlive long silences, one side's proactivity "
        "changes little."),
    "Proactive Dutch cities: more exchanges per partnership": (
        "As above; the Dutch initiative also scales with the domestic motive, so an agenda that does not serve "
        "Dutch objectives (coherence 0) damps it; fails where trust decays to nothing after the cut."),
    "Proactive southern cities: more partnerships alive": (
        "As for the Dutch side, without the domestic motive: a re-active Dutch partner who seldom takes up "
        "southern initiatives limits them."),
    "Proactive southern cities: more exchanges per partnership": (
        "As for the Dutch side, without the domestic motive; fails where trust decays to nothing after the cut."),
}
COUNTER = {"question": MAIN, "overrides": ["municipality.dormancy_months=1000"],
           "why": ("When a partnership survives 1,000 silent months, every partnership is still alive at month 120 "
                   "whatever either side does: proactivity keeps partnerships alive only through dormancy.")}


def analyse(data: Data) -> Analysis:
    s = data.summary
    rows, verdicts = [], []
    both_hi = {NORTH: data.levels(NORTH)[-1], SOUTH: data.levels(SOUTH)[-1]}
    both_lo = {NORTH: data.levels(NORTH)[0], SOUTH: data.levels(SOUTH)[0]}
    for outcome, question in (("partnerships_alive", MAIN),
                              ("activity_after_programme",
                               "Proactive cities keep more exchanges per partnership a month after the cut")):
        e = stats.contrast(s, outcome, both_hi, both_lo)
        rows.append((question, outcome, "both sides high vs both low", e))
        verdicts.append(stats.verdict(question, {"both sides proactive": e}))
    for side, other, who in ((NORTH, SOUTH, "Dutch"), (SOUTH, NORTH, "southern")):
        lo, hi = data.levels(side)[0], data.levels(side)[-1]
        for outcome, label in OUTCOMES.items():
            question = f"Proactive {who} cities: more {label.split(' at')[0].split(' a month')[0]}"
            effects = {}
            for o in data.levels(other):
                e = stats.contrast(s, outcome, {side: hi, other: o}, {side: lo, other: o})
                effects[f"other side {o:g}"] = e
                rows.append((question, outcome, (f"{side.split('.')[-1]} {hi:g} vs {lo:g}, "
                             f"{other.split('.')[-1]} {o:g}"), e))
            verdicts.append(stats.verdict(question, effects, moderator=other))
    cells = stats.cell_means(s, [NORTH, SOUTH], list(OUTCOMES))
    cut = int(data.config.get("shocks", {}).get("funding_cut_month", -1))
    notes = [(f"Programme funding stops at month {cut} in every cell; activity after the programme is counted "
             f"from then on.")]
    mixed_a = s[(s[NORTH] == both_hi[NORTH]) & (s[SOUTH] == both_lo[SOUTH])].sort_values("replication")
    mixed_b = s[(s[NORTH] == both_lo[NORTH]) & (s[SOUTH] == both_hi[SOUTH])].sort_values("replication")
    if len(mixed_a) and all(mixed_a[o].to_numpy() .tolist() == mixed_b[o].to_numpy().tolist() for o in OUTCOMES):
        notes.append("A proactive Dutch city with a re-active partner gives exactly the same results as the "
                     "reverse here: with every initiative taken up, no domestic motive and no agenda set by the "
                     "initiator (partnership.response_base 1, domestic_motive 0, initiator_agenda 0) the model "
                     "cannot tell which side acts.")
    return Analysis(verdicts, effects_table(rows), cells, notes, extra={"cut": cut})


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    series = data["series"]
    fig, axes = plotting.panels(2, height=2.2)
    ax = axes[0]
    i = 0
    for n in data.levels(NORTH):
        for so in data.levels(SOUTH):
            part = series[(series[NORTH] == n) & (series[SOUTH] == so)]
            color = plotting.PALETTE[i]
            band = plotting.mean_band(part, "month", "partnerships_alive")
            ax.plot(band["month"], band["mean"], color=color, linestyle=plotting.LINESTYLES[i],
                    label=f"{'high' if n == data.levels(NORTH)[-1] else 'low'}, "
                          f"{'high' if so == data.levels(SOUTH)[-1] else 'low'}")
            ax.fill_between(band["month"], band["lo"], band["hi"], color=color, alpha=0.15, linewidth=0)
            i += 1
    cut = analysis.extra["cut"]
    if cut >= 0:
        ax.axvline(cut, color="0.4", linewidth=0.7, linestyle="--")
        ax.text(cut, ax.get_ylim()[1], " funding cut", va="top", ha="left", fontsize=6, color="0.3")
    ax.set_xlabel("month")
    ax.set_ylabel("partnerships alive")
    plotting.legend_below(fig, ax, ncol=4, title="proactivity (Dutch, southern)", title_fontsize=7)
    plotting.panel_label(ax, "a")
    part = analysis.cells[analysis.cells.outcome == "activity_after_programme"]
    lo, hi = data.levels(NORTH)[0], data.levels(NORTH)[-1]
    plotting.categorical_points(axes[1], part, NORTH, group=SOUTH, order=[lo, hi],
                                labels={lo: f"Dutch low ({lo:g})", hi: f"Dutch high ({hi:g})"},
                                group_labels={v: f"southern {'high' if v == data.levels(SOUTH)[-1] else 'low'}"
                                              f" ({v:g})" for v in data.levels(SOUTH)},
                                ylabel="exchanges a month after the cut")
    axes[1].legend(loc="best")
    plotting.panel_label(axes[1], "b")
    return plotting.save(fig, stem)


ROBUSTNESS = {"question": MAIN, "outcomes": ["partnerships_alive"],
              "effects": [{"label": "both sides proactive", "treatment": {NORTH: 0.7, SOUTH: 0.7},
                           "control": {NORTH: 0.1, SOUTH: 0.1}}]}
"""The main verdict's effect, recomputed in many worlds by ``c2c-sim-robustness r6``: both sides proactive
against both re-active."""
