"""Outcomes: what is measured each month and summarised per run.

Names are fixed (scripts rely on them). A knowledge *gain* is the mean of
explicit and tacit knowledge minus its starting value (per actor and domain).

* ``learning_gain_north`` / ``_south``: mean gain of the staff and CSOs of the
  partnered municipalities on each side (mean over actors and domains);
  ``learning_gain_<side>__<domain>`` per domain.
* ``mutuality``: min/max of the two sides' gains (1 equal, 0 one side nothing).
* ``institutionalised_share``: embedded / (embedded + individual-only) knowledge
  gain of partnered municipalities;
  ``institutional_knowledge_gain``: mean gain of their institutional memory.
* ``mean_trust`` and ``mean_trust_<tie type>``: over enabled ties (both ends
  engaged, partnership alive where the tie needs one); ``active_ties``:
  enabled ties with a contact within ``dissemination.active_window`` months.
* ``circulation``: mean gain of municipal staff (of every municipality,
  partnered or not) who never took part in an exchange event: knowledge that
  travelled beyond the people who travelled. The same population in every
  network model, so network models compare.
* ``policy_adoptions`` (cumulative, all municipalities) and
  ``policy_adoptions_unpartnered`` (municipalities outside any partnership).
* ``initiatives_active``, ``initiatives_started``/``_stalled`` (cumulative),
  ``exchange_events`` (this month), ``partnerships_alive``, ``migrants_involved``.
* ``learning_on_objectives_north`` / ``_south``: the side's gains valued on its
  own objectives: each actor's gains weighted by its municipality's objective
  weights (which sum to 1), averaged over the side's actors; the same scale as
  ``learning_gain_*`` (equal when objectives are uniform).
* ``trust_panel_<tie type>``: mean trust over the ties in use at month 0,
  whatever happened to them since (ties of partnerships that ended stay in
  with their decayed trust), so survivors do not bias it;
  ``trust_entered_<tie type>``: mean trust over every tie that has been in use
  (each from the month it was first used: migrants drawn in later enter then).
  ``mean_trust`` and ``mean_trust_<tie type>`` stay as they were: the trust of
  the ties in use this month, which mixes trust with the composition of the
  ties in use (new, low-trust ties lower it).
* ``partnership_support``, ``partnership_familiarity``: the mean over the
  replication's partnerships (ended ones included) of their local support (R7)
  and familiarity (R5).
* caused outcomes (with ``caused=true``): ``learning_caused_north`` /
  ``_south``, ``learning_on_objectives_caused_*``, ``circulation_caused``,
  ``institutional_knowledge_caused``, ``policy_adoptions_caused``: the run's
  outcome minus that of its twin, the same replication (same seeds, same
  world) with no partnership activity: no programme money, no exchanges from
  own means, no contacts on partnership and CSO-CSO ties
  (:func:`c2c_sim.config.counterfactual`). What actors learn from their own
  municipality, local CSOs, migrants' own ties or higher government happens in
  both and cancels.
* per run: ``initiative_survival_months`` (:func:`mean_initiative_months`),
  ``activity_after_programme`` (:func:`activity_after_programme`),
  ``exchange_events_total``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .compiled import indices, inline_rule, rule
from .config import DOMAINS
from .state import CHANNELS, Measured

STEP_OUTCOMES = (
    "learning_gain_north", "learning_gain_south", "mutuality", "institutionalised_share",
    "institutional_knowledge_gain", "mean_trust",
    "mean_trust_partnership", "mean_trust_local", "mean_trust_transnational", "mean_trust_multilevel",
    "active_ties", "initiatives_active", "initiatives_started", "initiatives_stalled", "policy_adoptions",
    "policy_adoptions_unpartnered", "circulation", "exchange_events", "programme_budget", "partnerships_alive",
    "migrants_involved", "learning_on_objectives_north", "learning_on_objectives_south",
    "trust_panel_partnership", "trust_panel_local", "trust_panel_transnational", "trust_panel_multilevel",
    "trust_entered_partnership", "trust_entered_local", "trust_entered_transnational", "trust_entered_multilevel",
    "partnership_support", "partnership_familiarity",
)
SOURCE_OUTCOMES = tuple(f"learning_{side}_from_{ch}" for ch in CHANNELS for side in ("north", "south"))
"""Where each side's learning came from: per channel (:data:`c2c_sim.state.CHANNELS`), its part of
``learning_gain_<side>``; the channels of a side add up to its gain."""
DOMAIN_OUTCOMES = tuple(f"learning_gain_{side}__{d}" for side in ("north", "south") for d in DOMAINS)
RUN_OUTCOMES = ("initiative_survival_months", "activity_after_programme", "exchange_events_total")
CAUSED = {
    "learning_caused_north": "learning_gain_north", "learning_caused_south": "learning_gain_south",
    "learning_on_objectives_caused_north": "learning_on_objectives_north",
    "learning_on_objectives_caused_south": "learning_on_objectives_south",
    "circulation_caused": "circulation", "institutional_knowledge_caused": "institutional_knowledge_gain",
    "policy_adoptions_caused": "policy_adoptions",
    "policy_adoptions_unpartnered_caused": "policy_adoptions_unpartnered",
    **{f"trust_panel_{t}_caused": f"trust_panel_{t}" for t in ("partnership", "local", "transnational", "multilevel")},
    **{f"learning_caused_{side}__{d}": f"learning_gain_{side}__{d}" for side in ("north", "south") for d in DOMAINS},
}
"""Caused outcome -> the outcome it is computed from: the run's value minus its twin's (``caused=true``)."""
MUTUALITY_CAUSED = "mutuality_caused"
""":func:`mutuality` of the two sides' caused learning (``learning_caused_north``, ``learning_caused_south``)."""
CAUSED_NAMES = (*CAUSED, MUTUALITY_CAUSED)
"""Every outcome a run with ``caused=true`` adds."""
CIRCULATION_NOTE = ("Circulation is the mean knowledge gain of municipal staff (of every municipality, partnered "
                    "or not) who never took part in an exchange event: the same population in every network model.")
"""One sentence for reports that compare ``circulation`` across network models."""

SERIES_ONLY = ("exchange_events", "programme_budget")
"""Monthly bookkeeping kept in the series but not in the summary (see ``exchange_events_total``)."""
OUTCOMES = tuple(o for o in STEP_OUTCOMES if o not in SERIES_ONLY) + DOMAIN_OUTCOMES + SOURCE_OUTCOMES + RUN_OUTCOMES
"""Every outcome name in a summary row."""


@rule
def mutuality(gain_north, gain_south):
    """1 when both sides gain equally, 0 when one side gains nothing: min/max of the two gains.

    No learning on either side counts as no mutual learning (0); NaN where a side is absent."""
    if np.isnan(gain_north) or np.isnan(gain_south):
        return np.nan
    lo, hi = min(gain_north, gain_south), max(gain_north, gain_south)
    return lo / hi if (hi > 1e-12 and lo > 0) else 0.0


class Activity(NamedTuple):
    """The month's activity counts of one replication, measured as they are."""

    started: float  # initiatives started, cumulative
    stalled: float  # initiatives stalled, cumulative
    events: float  # exchange events this month
    budget: float  # programme money per partnership this month


@inline_rule
def domain_gain(kn, a, d) -> float:
    """Actor ``a``'s knowledge gain in domain ``d`` since month 0: the mean of its explicit and tacit gains."""
    explicit, tacit, explicit0, tacit0 = kn
    return 0.5 * ((explicit[a, d] - explicit0[a, d]) + (tacit[a, d] - tacit0[a, d]))


@inline_rule
def actor_gain(kn, a) -> float:
    """Actor ``a``'s knowledge gain: :func:`domain_gain` averaged over domains."""
    D = kn[0].shape[1]
    row = 0.0
    for d in range(D):
        row += domain_gain(kn, a, d)
    return row / D


@rule
def measure_partnerships(pt, ties, plan, rep, by_partnership) -> None:
    """The month's outcomes of each of replication ``rep``'s partnerships (the long table
    ``partnerships``): ``alive`` (1 or 0; an ended partnership stays in the table), ``trust``, the mean
    trust on the ties its exchanges run on (staff pairs and CSO pairs, whether in use or not: an ended
    partnership keeps its decaying trust), and ``exchange_events`` this month. The outcomes per
    municipality (``staff_learning``, ``institutional_knowledge_gain``) come from :func:`measure`."""
    for p in range(rep.p0, rep.p1):
        by_partnership[p, 0] = 1.0 if pt.alive[p] else 0.0
        trust = 0.0
        n = pt.event_index[p + 1] - pt.event_index[p]
        for i in range(pt.event_index[p], pt.event_index[p + 1]):
            trust += ties.trust[pt.event_ties[i]]
        by_partnership[p, 1] = trust / n if n > 0 else np.nan
        by_partnership[p, 2] = float(plan.n_events[p])


@rule
def circulation_among(kn, rep, participated) -> float:
    """``circulation`` of replication ``rep`` over the municipal staff ``a`` with ``participated[a]``
    False: their mean :func:`actor_gain`, NaN when there are none.

    :func:`measure` computes the run's own circulation in its loop over staff (the same sum, in the same
    order); this function measures a twin (whose staff never travel) on the run's people, for the caused
    circulation."""
    S = (rep.staff1 - rep.staff0) // max(rep.muni1 - rep.muni0, 1)
    total = n = 0.0
    for m in range(rep.muni0, rep.muni1):
        for a in range(m * S, (m + 1) * S):
            if not participated[a]:
                total += actor_gain(kn, a)
                n += 1.0
    return total / n if n > 0 else np.nan


@rule
def measure(kn, actors, ties, use, orgs, pt, inits, rep, prm, month, activity, gains, book, sources,
            channel_gains, by_municipality) -> Measured:
    """The outcomes of replication ``rep`` now (definitions above); the learning gains per side and domain
    go into ``gains[:, :, rep.r]``, each channel's share of the side's gain in each domain (from the ledger
    ``book``) into ``channel_gains[:, :, :, rep.r]`` and its mean over domains into ``sources[:, :, rep.r]``,
    each municipality's ``staff_learning`` (the mean :func:`actor_gain` of its
    staff) and ``institutional_knowledge_gain`` (its memory's mean gain over domains) into
    ``by_municipality[m]``.

    Learning gains per side are means over the staff and CSOs of partnered municipalities and over
    domains (on objectives: each actor's gains weighted by its municipality's objectives); the
    institutionalised share compares what partnered municipalities' memories gained with what their
    staff know beyond those memories (embedded / (embedded + individual-only); 0 when nobody learnt
    anything); ``mean_trust*`` is over the ties in use, ``trust_panel_*`` over the ties in use at month 0
    and ``trust_entered_*`` over every tie that has been in use, whether still in use or not."""
    explicit, tacit, explicit0, tacit0 = kn
    group, participated, involved = actors.group, actors.participated, actors.involved
    memory, memory0, adoption_month, partnered = orgs.memory, orgs.memory0, orgs.adoption_month, orgs.partnered
    objectives, city, initiative_start = orgs.objectives, inits.city, inits.start
    enabled, panel, ever = use.enabled, use.panel, use.ever
    on_objectives = np.zeros(2)
    r = rep.r
    S = (rep.staff1 - rep.staff0) // max(rep.muni1 - rep.muni0, 1)
    D = explicit.shape[1]
    side = np.zeros((2, D))
    side_n = np.zeros(2)
    memory_gain = np.zeros(D)
    beyond = np.zeros(D)
    embedded = individual = memory_sum = 0.0
    circulation = circulation_n = 0.0
    n_partnered = 0
    adopted = adopted_unpartnered = 0.0
    for m in range(rep.muni0, rep.muni1):  # staff, municipality by municipality
        n_adopted = 0.0
        for d in range(D):
            if adoption_month[m, d] >= 0:
                n_adopted += 1.0
        adopted += n_adopted
        if not partnered[m]:
            adopted_unpartnered += n_adopted
        for d in range(D):
            memory_gain[d] = max(memory[m, d] - memory0[m, d], 0.0)
            beyond[d] = 0.0
        staff_sum = 0.0
        for a in range(m * S, (m + 1) * S):
            grp = group[a]
            row = 0.0
            for d in range(D):
                xe = explicit[a, d] - explicit0[a, d]
                x = domain_gain(kn, a, d)
                row += x
                if grp < 2:
                    side[grp, d] += x
                    on_objectives[grp] += objectives[m, d] * x
                beyond[d] += max(xe - memory_gain[d], 0.0)  # individual knowledge beyond institutional memory
            if grp < 2:
                side_n[grp] += 1.0
            staff_sum += row / D  # actor_gain, from the domain gains already at hand
            if not participated[a]:
                circulation += row / D
                circulation_n += 1.0
        by_municipality[m, 0] = staff_sum / S if S > 0 else np.nan
        raw = 0.0
        for d in range(D):
            raw += memory[m, d] - memory0[m, d]
        by_municipality[m, 1] = raw / D
        if partnered[m]:
            n_partnered += 1
            m_sum = i_sum = 0.0
            for d in range(D):
                m_sum += memory_gain[d]
                i_sum += beyond[d] / S
            embedded += m_sum
            individual += i_sum
            memory_sum += raw
    for a in range(rep.cso0, rep.cso1):  # CSOs belong to the sides too
        grp = group[a]
        if grp < 2:
            m = city[a - rep.first_cso]
            for d in range(D):
                x = domain_gain(kn, a, d)
                side[grp, d] += x
                on_objectives[grp] += objectives[m, d] * x
            side_n[grp] += 1.0
    means = np.zeros(2)
    for sd in range(2):
        total = 0.0
        for d in range(D):
            v = side[sd, d] / side_n[sd] if side_n[sd] > 0 else np.nan
            gains[sd, d, r] = v
            total += v
        means[sd] = total / D
    both = embedded + individual
    trust_sum = np.zeros(4)  # by tie type, over the ties in use
    trust_n = np.zeros(4)
    active = 0.0
    kind, trust, last_contact, programme = ties.kind, ties.trust, ties.last_contact, use.programme_country
    panel_sum = np.zeros(4)
    panel_n = np.zeros(4)
    ever_sum = np.zeros(4)
    ever_n = np.zeros(4)
    for e in indices(rep.tie0, rep.tie1):
        # never in use: in none of the sums (the ties in use, now or at month 0, have been: enable_ties);
        # country programme ties (7.15) are not in the trust or activity outcomes
        if not ever[e] or programme[e] >= 0:
            continue
        k = kind[e]
        t_e = trust[e]
        ever_sum[k] += t_e
        ever_n[k] += 1.0
        if enabled[e]:
            trust_sum[k] += t_e
            trust_n[k] += 1.0
            if last_contact[e] > month - prm.active_window:
                active += 1.0
        if panel[e]:
            panel_sum[k] += t_e
            panel_n[k] += 1.0
    s_all = trust_sum[0] + trust_sum[1] + trust_sum[2] + trust_sum[3]
    n_all = trust_n[0] + trust_n[1] + trust_n[2] + trust_n[3]
    by_type = np.full(4, np.nan)
    by_panel = np.full(4, np.nan)
    by_entered = np.full(4, np.nan)
    for k in range(4):
        if trust_n[k] > 0:
            by_type[k] = trust_sum[k] / trust_n[k]
        if panel_n[k] > 0:
            by_panel[k] = panel_sum[k] / panel_n[k]
        if ever_n[k] > 0:
            by_entered[k] = ever_sum[k] / ever_n[k]
    for sd in range(2):
        on_objectives[sd] = on_objectives[sd] / side_n[sd] if side_n[sd] > 0 else np.nan
        for ch in range(sources.shape[0]):
            total = 0.0
            for d in range(D):
                v = book[r, sd, d, ch] / side_n[sd] if side_n[sd] > 0 else np.nan
                channel_gains[sd, d, ch, r] = v  # the channel's part of learning_gain_<side>__<domain>
                total += v
            sources[ch, sd, r] = total / D
    n_alive = support = familiarity = 0.0
    for p in range(rep.p0, rep.p1):
        if pt.alive[p]:
            n_alive += 1.0
        support += pt.support[p]
        familiarity += pt.familiarity[p]
    n_p = rep.p1 - rep.p0
    support = support / n_p if n_p > 0 else np.nan
    familiarity = familiarity / n_p if n_p > 0 else np.nan
    n_involved = 0.0
    for a in range(rep.mig0, rep.mig1):
        if involved[a]:
            n_involved += 1.0
    running = 0.0
    for i in range(rep.cso0 - rep.first_cso, rep.cso1 - rep.first_cso):
        if initiative_start[i] >= 0:
            running += 1.0
    share = np.nan
    memory_mean = np.nan
    if n_partnered > 0:
        share = embedded / both if both > 0 else 0.0
        memory_mean = memory_sum / (n_partnered * D)
    trust_mean = s_all / n_all if n_all > 0 else np.nan
    circulation_mean = circulation / circulation_n if circulation_n > 0 else np.nan
    return Measured(
        learning_gain_north=means[0], learning_gain_south=means[1], mutuality=mutuality(means[0], means[1]),
        institutionalised_share=share, institutional_knowledge_gain=memory_mean,
        mean_trust=trust_mean, mean_trust_partnership=by_type[0],
        mean_trust_local=by_type[1], mean_trust_transnational=by_type[2], mean_trust_multilevel=by_type[3],
        active_ties=active, circulation=circulation_mean,
        partnerships_alive=n_alive, migrants_involved=n_involved, initiatives_active=running,
        policy_adoptions=adopted, policy_adoptions_unpartnered=adopted_unpartnered,
        initiatives_started=activity.started, initiatives_stalled=activity.stalled,
        exchange_events=activity.events, programme_budget=activity.budget,
        learning_on_objectives_north=on_objectives[0], learning_on_objectives_south=on_objectives[1],
        trust_panel_partnership=by_panel[0], trust_panel_local=by_panel[1],
        trust_panel_transnational=by_panel[2], trust_panel_multilevel=by_panel[3],
        trust_entered_partnership=by_entered[0], trust_entered_local=by_entered[1],
        trust_entered_transnational=by_entered[2], trust_entered_multilevel=by_entered[3],
        partnership_support=support, partnership_familiarity=familiarity)


def caused_outcomes(run: dict[str, np.ndarray], twin: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The caused outcomes (:data:`CAUSED_NAMES`) from the outcomes of runs and of their twins, array by array
    (the same replications in the same order: the caller pairs them)."""
    out = {name: np.asarray(run[source], float) - np.asarray(twin[source], float) for name, source in CAUSED.items()}
    with np.errstate(invalid="ignore"):  # NaN where a side is absent, as mutuality() says
        out[MUTUALITY_CAUSED] = np.vectorize(mutuality, otypes=[float])(out["learning_caused_north"],
                                                                        out["learning_caused_south"])
    return out


def mean_initiative_months(months: np.ndarray, replication: np.ndarray, n_reps: int) -> np.ndarray:
    """Mean months an initiative lasts, per replication: ``months`` (``end - start``) of every initiative,
    stalled ones their full length, still-active ones up to the end of the run (censored, so a lower
    bound); ``replication`` (0..n_reps-1) says whose each is. NaN for a replication without initiatives.
    For Kaplan-Meier survival see :func:`c2c_sim.stats.restricted_mean_survival`."""
    total = np.bincount(replication, weights=np.asarray(months, float), minlength=n_reps)
    count = np.bincount(replication, minlength=n_reps).astype(float)
    return np.divide(total, count, out=np.full(n_reps, np.nan), where=count > 0)


def activity_after_programme(events: np.ndarray, programme_end: int, n_partnerships: int) -> np.ndarray:
    """Exchange events per partnership per month after the programme's last paid month.

    ``events[..., t]`` are the events of month ``t`` (index 0 is the start state; one row per
    replication); ``programme_end`` is the last month with programme money (0 if none).
    NaN when the run ends before the programme does.
    """
    after = np.asarray(events, float)[..., programme_end + 1:]
    if after.shape[-1] == 0 or n_partnerships == 0:
        return np.full(after.shape[:-1], np.nan)
    return after.sum(axis=-1) / (after.shape[-1] * n_partnerships)
