"""R7 migrants: does involving migrants, as facilitators, raise learning and local ties?

Claim and source: see CLAIM and SOURCE below; the preset is
``configs/experiment/r7.yaml``; run with ``c2c-sim-experiment r7``.

Design. Two factors, crossed (10 cells, 100 replications each, 120 months):
``migrants.involvement``, the share of a partnered Dutch city's migrants with
ties to its partner city who take part (0, 0.1 as today, 0.3, 0.6, 1.0), and
``migrants.facilitator``, whether involved migrants join exchanges as
facilitators who bridge language and culture (on, off). In every cell a
political crisis like March 2017's ends the Turkish partnerships in month 96 (2007-12)
(``shocks.termination_month``), except those their local support shields
(``partnership.support_shield``; R7: outreach builds support at home,
``rules.update_support``). Everything else stays at the default scenario
(multi-actor network, four-year programme).

Outcomes (final month), caused by the partnership (each replication minus its
twin without partnership activity, ``caused: true``): learning in the two
domains where migrants bring knowledge, cultural diversity and youth
participation (the mean of ``learning_caused_north__<domain>`` and
``learning_caused_south__<domain>``; the table also gives each side), and trust
on government-citizen ties on the fixed month-0 panel
(``trust_panel_local_caused``: the same ties in every cell, so new low-trust
ties cannot pull it down), and the partnerships alive at the end, after the
crisis (the run's own: a twin's partnerships lapse). ``mean_trust`` (over the
ties in use, which involving migrants changes) and ``partnership_support`` are
shown for context.

What could make it false: see ``FALSIFIERS``. Involved migrants bring their
transnational ties into use and, as facilitators, lower the distance at
exchanges; their ties start at low trust (``trust.initial``), and tacit
knowledge passes with trust to a power (``trust.tacit_exponent``), so where
trust on new ties starts and stays low what they carry is small; a municipality
closed to learning takes in nothing either way. ``COUNTER`` names a setting
where the main verdict fails.

Comparisons and verdicts (paired by replication, bootstrap 95 % intervals):
high involvement (the largest level) against none, per facilitator setting, for
each outcome (``depends on migrants.facilitator`` when it holds with one
setting only); and the facilitator role, on against off, at every involvement
above zero, on cultural-diversity learning (``depends on
migrants.involvement`` when it holds at some levels only). The table adds the
slope of each outcome over involvement.
"""

from __future__ import annotations

from pathlib import Path

from c2c_sim import plotting, stats
from c2c_sim.experiment import Analysis, Data, effects_table

TITLE = "Involving migrants"
CLAIM = """Including migrants and migrant organisations in partnerships, as initiators, key actors and
facilitators who bridge government and citizens, language and culture, takes advantage of their
transnational networks and specialised and cultural knowledge: more people are informed and
involved, local support grows, and exchanges gain efficiency and impact."""
SOURCE = """Recommendation 7, shared/seeds/recommendations.txt ("Include migrants and migrant
organizations in exchange partnerships, in order to take advantage of the benefits of
transnational linkages and networks"); van Ewijk's case study of five Dutch-Moroccan and
Dutch-Turkish partnerships."""
DESIGN = """Migrant involvement (none to all, with 0.1 as today's few, mostly municipal employees)
crossed with the facilitator role (on, off); a political crisis ends the Turkish partnerships in
month 96 unless local support shields them. Outcomes at the end of the run: learning on cultural
diversity and on youth participation (mean of North and South), trust on government-citizen ties,
partnerships alive after the crisis, and for context mean trust and local support. High involvement is compared with none per facilitator setting; the facilitator
role is compared on against off at every involvement above zero."""
TABLES = ("summary",)
QUICK = ["migrants.involvement=0.0,0.6"]

DOMAINS = ("cultural_diversity", "youth_participation")
OUTCOMES = {
    "learning_cultural_diversity": ("learning on cultural diversity (caused)", ("Involving migrants raises "
                                    "learning on cultural diversity")),
    "learning_youth_participation": ("learning on youth participation (caused)", ("Involving migrants raises "
                                     "learning on youth participation")),
    "trust_panel_local_caused": ("trust, government-citizen ties (panel, caused)",
                                 "Involving migrants strengthens government-citizen ties"),
    "partnerships_alive": ("partnerships alive at the end, after the crisis",
                           "Involving migrants keeps more partnerships alive through a political crisis"),
}
CONTEXT = {"mean_trust": "trust, all ties in use", "partnership_support": "local support for the partnerships"}
SIDES = [f"learning_caused_{side}__{d}" for d in DOMAINS for side in ("north", "south")]
MAIN = "Involving migrants raises learning on cultural diversity"
FALSIFIERS = {
    MAIN: ("Migrants carry cultural knowledge over transnational ties and bridge distance at exchanges; where their "
           "ties start with no trust (trust.initial 0) and tacit knowledge needs trust, or the partners are closed "
           "to learning, involving them adds nothing."),
    "Involving migrants raises learning on youth participation": ("As above; migrants' head start in youth "
                                                                  "participation is smaller than in cultural "
                                                                  "diversity, so the effect can fall under the bar."),
    "Involving migrants strengthens government-citizen ties": (
        "Local ties gain trust from contacts whether or not a partnership runs (the twin has them too); only "
        "contacts the partnership adds count, those of the CSO initiatives it helps start (cso.idle_contact, "
        "cso.transnational_boost), which may be too few to clear the bar."),
    "Involving migrants keeps more partnerships alive through a political crisis": (
        "Outreach builds support only at partnership.support_growth times the share involved; support shields a "
        "partnership at partnership.support_shield times support and lengthens its dormancy; with those off, or "
        "a crisis that ends every targeted partnership whatever its support, involvement cannot save one."),
    "Migrants as facilitators add to learning on cultural diversity": (
        "A facilitator lowers the distance at an exchange by migrants.bridge; with no distance to bridge, or no "
        "migrant involved, the role changes nothing."),
}
COUNTER = {"question": MAIN,
           "overrides": ["municipality.openness_north=0.0", "municipality.openness_south=0.0",
                         "knowledge.openness_other=0.0"],
           "why": ("Only partners closed to learning make it fail. The effect survives switching off every migrant "
                   "mechanism this module names (migrants knowing nothing of cultural diversity, no transnational "
                   "contacts, no initiator role, no bridging: +0.015 with 20 replications on 2026-12-02), so part of "
                   "it comes from the local ties that involving migrants brings into use (rules.enable_ties) and the "
                   "exchanges those ties reach: a finding to examine, not a mechanism of the claim.")}
FAC = "migrants.facilitator"
INV = "migrants.involvement"


def outcomes(data: Data):
    s = data.summary.copy()
    for d in DOMAINS:
        s[f"learning_{d}"] = 0.5 * (s[f"learning_caused_north__{d}"] + s[f"learning_caused_south__{d}"])
    return s


def analyse(data: Data) -> Analysis:
    s = outcomes(data)
    levels = data.levels(INV)
    none, high = levels[0], levels[-1]
    rows, verdicts = [], []
    for outcome, (_label, question) in OUTCOMES.items():
        effects = {}
        for fac in (True, False):
            e = stats.contrast(s, outcome, {INV: high, FAC: fac}, {INV: none, FAC: fac})
            name = f"facilitator {'on' if fac else 'off'}"
            effects[name] = e
            rows.append((question, outcome, f"involvement {high:g} vs {none:g}, {name}", e))
        verdicts.append(stats.verdict(question, effects, moderator=FAC))
    for side_outcome in SIDES:
        for fac in (True, False):
            e = stats.contrast(s, side_outcome, {INV: high, FAC: fac}, {INV: none, FAC: fac})
            rows.append(("Learning by side", side_outcome, (f"involvement {high:g} vs {none:g}, facilitator "
                         f"{'on' if fac else 'off'}"), e))
    question = "Migrants as facilitators add to learning on cultural diversity"
    effects = {}
    for level in levels[1:]:
        e = stats.contrast(s, "learning_cultural_diversity", {INV: level, FAC: True}, {INV: level, FAC: False})
        effects[f"involvement {level:g}"] = e
        rows.append((question, "learning_cultural_diversity", f"facilitator on vs off, involvement {level:g}", e))
    verdicts.append(stats.verdict(question, effects, moderator=INV))
    for outcome in CONTEXT:
        for fac in (True, False):
            rows.append(("Context", outcome, (f"involvement {high:g} vs {none:g}, facilitator "
                         f"{'on' if fac else 'off'}"), stats.contrast(s, outcome, {INV: high, FAC: fac},
                                                                      {INV: none, FAC: fac})))
    if len(levels) > 2:
        for outcome in OUTCOMES:
            for fac in (True, False):
                cell = s[s[FAC] == fac]
                x, Y = stats.curve_matrix(cell, INV, outcome)
                rows.append(("Slope over involvement", outcome, (f"per unit of involvement, facilitator "
                             f"{'on' if fac else 'off'}"), stats.slope(x, Y)))
    cells = stats.cell_means(s, [INV, FAC], list(OUTCOMES) + list(CONTEXT) + SIDES)
    notes = [("Learning in a domain is the mean caused gain of the partnered Dutch and southern actors in that "
             "domain; the 'Learning by side' rows split it."),
             ("Mean trust averages over the ties in use: involving migrants brings their transnational ties into "
             "use at their low initial trust, which lowers the mean even where trust on every tie grows; it "
             "measures the mix of ties as much as trust, so it enters no verdict (panel d, context).")]
    return Analysis(verdicts, effects_table(rows), cells, notes, table=s)


def figure(data: Data, analysis: Analysis, stem: Path) -> list[Path]:
    fig, axes = plotting.panels(4, ncols=2, height=2.0)
    panels = {**{k: label for k, (label, _) in OUTCOMES.items()}, **CONTEXT}
    for ax, letter, (outcome, label) in zip(axes, "abcd", panels.items()):
        part = analysis.cells[analysis.cells.outcome == outcome]
        plotting.effect_vs_parameter(ax, part, INV, group=FAC, order=[True, False],
                                     labels={True: "migrants facilitate", False: "no facilitator role"},
                                     xlabel="share of migrants involved", ylabel=label)
        plotting.panel_label(ax, letter)
    axes[0].legend(loc="best")
    return plotting.save(fig, stem)


ROBUSTNESS = {"question": MAIN, "outcomes": ["learning_cultural_diversity"], "table": outcomes,
              "effects": [{"label": f"facilitator {'on' if fac else 'off'}", "treatment": {INV: 1.0, FAC: fac},
                           "control": {INV: 0.0, FAC: fac}} for fac in (True, False)]}
"""The main verdict's effects, recomputed in many worlds by ``c2c-sim-robustness r7``: every migrant
involved against none, with and without the facilitator role (both must hold)."""
