"""R4 local-government support: do civil-society initiatives last longer with it, even under cuts?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r4.yaml``; run with ``c2c-sim-experiment r4``.

Design. Two factors, crossed (6 cells, 100 replications each, 120 months):
``cso.support``, the local government's support to CSO initiatives (0 none,
0.3 basic, 0.7 strong), and a budget cut (``shocks.support_cut_month``: never,
or from month 48 on). The preset sets ``shocks.support_cut_factor: 0.5``: the
cut halves support rather than ending it, the austerity in which "some
commitment and support" can remain. Everything else at the default scenario.

Outcome. Initiatives (the ``initiatives`` table: cso, start, end, stalled,
months, per replication) started from the cut month on (in every cell, so the
no-cut cells are the same window without the cut). An initiative that stalled
is an event; one still active at the end of the run is censored. Per
replication, the restricted mean survival time up to ``TAU = 36`` months (the
area under the Kaplan-Meier curve; ``TAU`` shrinks to the months left in quick
mode): how many of its first 36 months an initiative stays active.

No twin (``caused: false``): the outcome is the survival of local civil-society
initiatives, compared between support levels in the same replications (common
random numbers), not learning the partnership could have caused; the twin would
double the time and enter no verdict.

What could make it false: see ``FALSIFIERS``. Support restores momentum at
``cso.support_gain`` x support x trust on the CSO's tie to its local government
(``rules.update_initiatives``) against volunteer input that dwindles at
``cso.volunteer_decay``, faster as an initiative outlives what its CSO's
volunteers can give (``cso.capacity_months``); and at ``cso.approval_month``
an initiative needs the local government's formal approval, more likely with
more support (``cso.approval_base``). That support helps is the rules'
direction (the claim's mechanism), whether it matters is not. Where volunteer input does not
dwindle, initiatives live on without support; where trust is low, support does
not reach them; strong support that more than offsets the decay ends all
stalls, so strong against basic measures how close basic already comes
(``COUNTER``).

Comparisons and verdicts (paired by replication; the verdict rule of
:mod:`c2c_sim.stats`, Holm-adjusted across the experiment):
basic against none and strong against basic, with and without the cut
(``depends on shocks.support_cut_month`` when only one holds); and the cut
against no cut at basic and strong support (a decrease expected). The figure
shows the Kaplan-Meier curves with Greenwood 95 % bands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "Local-government support for civil-society initiatives"
CLAIM = """Civil-society initiatives (volunteer hours, personal funds) lose momentum and stall unless
local government gives some support and legitimacy (approvals, status); even under budget cuts,
basic involvement of local government is needed for them to take root and flourish."""
SOURCE = """Recommendation 4, shared/seeds/recommendations.txt ("Basic involvement of local
governments in the support of civil society organization should be ensured, in order for civil
society initiatives to take root and flourish"; "Even during this period of fiscal austerity and
budget cuts, some commitment and support by local governments is required")."""
DESIGN = """Local-government support to CSO initiatives (none 0, basic 0.3, strong 0.7) crossed with a
budget cut that halves support from month 48 on (or no cut). Initiatives started from month 48 on are
followed until they stall (event) or the run ends (censored); the outcome is the restricted mean
survival time over their first 36 months, per replication."""
TABLES = ("summary", "initiatives")
QUICK = ["shocks.support_cut_month=-1,12"]

TAU = 36
MAIN = "Basic support makes initiatives last longer than none"
FALSIFIERS = {
    MAIN: ("Support restores momentum only through trust on the CSO's tie to its government and only against "
           "momentum lost as volunteer input dwindles, and through the formal approval; with no such loss "
           "(cso.volunteer_decay 0) and no approval needed (cso.approval_month 0), or no trust, support makes no "
           "difference."),
    "Strong support makes initiatives last longer than basic": (
        "Once basic support offsets the decay most initiatives already last the 36 months; strong support can add "
        "little (a ceiling of the restricted mean)."),
    "A budget cut shortens initiatives": ("A cut that leaves enough support to offset the decay (strong support "
                                          "halved) changes nothing."),
}
COUNTER = {"question": MAIN, "overrides": ["cso.volunteer_decay=0.0", "cso.approval_month=0"],
           "why": ("When volunteer input does not dwindle (cso.volunteer_decay 0, so no ageing either) and no "
                   "formal approval is needed (cso.approval_month 0), initiatives stall only by chance and support "
                   "has nothing to offset.")}
SUPPORT = {0.0: "none", 0.3: "basic", 0.7: "strong"}
LEGEND = {0.0: "no support (0)", 0.3: "basic support (0.3)", 0.7: "strong support (0.7)"}
CUT = "shocks.support_cut_month"
SUP = "cso.support"


def setup(data: Data) -> tuple[int, int]:
    """(first month of the window: the cut month, tau)."""
    cut = max(m for m in data.levels(CUT))
    cut = max(cut, 0)
    return cut, int(min(TAU, data.months - cut))


def survival(data: Data) -> pd.DataFrame:
    """Restricted mean survival (months, up to tau) per cell and replication."""
    cut, tau = setup(data)
    inits = data["initiatives"]
    inits = inits[inits.start >= cut]
    keys = [SUP, CUT]
    rows = []
    cells = data.summary[keys + ["replication"]].drop_duplicates()
    for key, part in cells.groupby(keys):
        mine = inits[(np.isclose(inits[SUP], key[0])) & (inits[CUT] == key[1])]
        for r in part.replication:
            x = mine[mine.replication == r]
            rows.append((*key, r, stats.restricted_mean_survival(x.months.to_numpy(), x.stalled.to_numpy(), tau)
                         if len(x) else np.nan, len(x)))
    return pd.DataFrame(rows, columns=[SUP, CUT, "replication", "rmst", "initiatives"])


def analyse(data: Data) -> Analysis:
    df = survival(data)
    cut, tau = setup(data)
    levels = data.levels(SUP)
    cuts = data.levels(CUT)
    label_cut = {c: ("no cut" if c < 0 else f"cut from month {c}") for c in cuts}
    rows, verdicts = [], []
    pairs = [(levels[i + 1], levels[i]) for i in range(len(levels) - 1)]
    for hi, lo in pairs:
        question = f"{SUPPORT.get(hi, hi).capitalize()} support makes initiatives last longer than " \
                   f"{SUPPORT.get(lo, lo)}"
        effects = {}
        for c in cuts:
            e = stats.contrast(df, "rmst", {SUP: hi, CUT: c}, {SUP: lo, CUT: c})
            effects[label_cut[c]] = e
            rows.append((question, f"rmst_{tau}", f"support {hi:g} vs {lo:g}, {label_cut[c]}", e))
        verdicts.append(stats.verdict(question, effects, moderator=CUT))
    if len(cuts) > 1:
        question = "A budget cut shortens initiatives"
        effects = {}
        for level in levels:
            if level <= 0:
                continue  # nothing to cut
            e = stats.contrast(df, "rmst", {SUP: level, CUT: cuts[-1]}, {SUP: level, CUT: cuts[0]})
            effects[f"support {level:g}"] = e
            rows.append((question, f"rmst_{tau}", f"{label_cut[cuts[-1]]} vs no cut, support {level:g}", e))
        if effects:
            verdicts.append(stats.verdict(question, effects, expected=-1, moderator=SUP))
    cells = stats.cell_means(df, [SUP, CUT], ["rmst", "initiatives"])
    notes = [(f"Initiatives started from month {cut} on; restricted mean survival over their first {tau} months "
             f"(Kaplan-Meier area; stalled = event, still active at the end = censored)."),
             ("Support reaches an initiative as support level x trust on the CSO's tie to its local government "
             "(c2c_sim.rules.update_initiatives), so trust also shapes survival.")]
    return Analysis(verdicts, effects_table(rows), cells, notes, extra={"cut": cut, "tau": tau}, table=df)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    cut = analysis.extra["cut"]
    inits = data["initiatives"]
    inits = inits[inits.start >= cut]
    cuts = data.levels(CUT)
    fig, axes = plotting.panels(len(cuts), width=plotting.DOUBLE_COLUMN, height=2.3, sharey=True)
    horizon = data.months - cut
    for ax, letter, c in zip(axes, "ab", cuts):
        curves = {}
        for level in data.levels(SUP):
            x = inits[np.isclose(inits[SUP], level) & (inits[CUT] == c)]
            curves[LEGEND.get(level, f"support {level:g}")] = stats.kaplan_meier(x.months, x.stalled)
        plotting.survival_curves(ax, curves, xmax=horizon)
        ax.set_title("no budget cut" if c < 0 else f"support halved from month {c}")
        plotting.panel_label(ax, letter)
    axes[0].legend(loc="upper right")
    return plotting.save(fig, stem)


ROBUSTNESS = {"question": MAIN, "outcomes": ["rmst"], "table": survival, "tables": ["initiatives"],
              "effects": [{"label": "no cut" if c < 0 else f"cut from month {c}", "treatment": {SUP: 0.3, CUT: c},
                           "control": {SUP: 0.0, CUT: c}} for c in (-1, 48)]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness r4``: basic support against
none, without and with the budget cut (all must hold; restricted mean survival of the initiatives started
from month 48, as in the verdict)."""
