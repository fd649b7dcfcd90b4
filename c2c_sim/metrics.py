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
* per run: ``initiative_survival_months`` (:func:`mean_initiative_months`),
  ``activity_after_programme`` (:func:`activity_after_programme`),
  ``exchange_events_total``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .compiled import indices, rule
from .config import DOMAINS
from .state import Measured

STEP_OUTCOMES = (
    "learning_gain_north", "learning_gain_south", "mutuality", "institutionalised_share",
    "institutional_knowledge_gain", "mean_trust",
    "mean_trust_partnership", "mean_trust_local", "mean_trust_transnational", "mean_trust_multilevel",
    "active_ties", "initiatives_active", "initiatives_started", "initiatives_stalled", "policy_adoptions",
    "policy_adoptions_unpartnered", "circulation", "exchange_events", "programme_budget", "partnerships_alive",
    "migrants_involved",
)
DOMAIN_OUTCOMES = tuple(f"learning_gain_{side}__{d}" for side in ("north", "south") for d in DOMAINS)
RUN_OUTCOMES = ("initiative_survival_months", "activity_after_programme", "exchange_events_total")
CIRCULATION_NOTE = ("Circulation is the mean knowledge gain of municipal staff (of every municipality, partnered "
                    "or not) who never took part in an exchange event: the same population in every network model.")
"""One sentence for reports that compare ``circulation`` across network models."""

SERIES_ONLY = ("exchange_events", "programme_budget")
"""Monthly bookkeeping kept in the series but not in the summary (see ``exchange_events_total``)."""
OUTCOMES = tuple(o for o in STEP_OUTCOMES if o not in SERIES_ONLY) + DOMAIN_OUTCOMES + RUN_OUTCOMES
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


@rule
def measure(kn, actors, ties, enabled, orgs, alive, initiative_start, rep, prm, month, activity, gains) -> Measured:
    """The outcomes of replication ``rep`` now (definitions above); the learning gains per side and domain
    go into ``gains[:, :, rep.r]``.

    Learning gains per side are means over the staff and CSOs of partnered municipalities and over
    domains; the institutionalised share compares what partnered municipalities' memories gained with
    what their staff know beyond those memories (embedded / (embedded + individual-only); 0 when nobody
    learnt anything); trust by tie type is over the ties in use."""
    explicit, tacit, explicit0, tacit0 = kn
    group, participated, involved = actors.group, actors.participated, actors.involved
    memory, memory0, adoption_month, partnered = orgs.memory, orgs.memory0, orgs.adoption_month, orgs.partnered
    r = rep.r
    S = (rep.staff1 - rep.staff0) // max(rep.muni1 - rep.muni0, 1)
    D = explicit.shape[1]
    side = np.zeros((2, D))
    side_n = np.zeros(2)
    memory_gain = np.zeros(D)
    beyond = np.zeros(D)
    circulation = circulation_n = 0.0
    embedded = individual = memory_sum = 0.0
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
        for a in range(m * S, (m + 1) * S):
            grp = group[a]
            row = 0.0
            for d in range(D):
                xe = explicit[a, d] - explicit0[a, d]
                x = 0.5 * (xe + (tacit[a, d] - tacit0[a, d]))
                row += x
                if grp < 2:
                    side[grp, d] += x
                beyond[d] += max(xe - memory_gain[d], 0.0)  # individual knowledge beyond institutional memory
            if grp < 2:
                side_n[grp] += 1.0
            if not participated[a]:
                circulation += row / D
                circulation_n += 1.0
        if partnered[m]:
            n_partnered += 1
            m_sum = i_sum = raw = 0.0
            for d in range(D):
                raw += memory[m, d] - memory0[m, d]
                m_sum += memory_gain[d]
                i_sum += beyond[d] / S
            embedded += m_sum
            individual += i_sum
            memory_sum += raw
    for a in range(rep.cso0, rep.cso1):  # CSOs belong to the sides too
        grp = group[a]
        if grp < 2:
            for d in range(D):
                side[grp, d] += 0.5 * ((explicit[a, d] - explicit0[a, d]) + (tacit[a, d] - tacit0[a, d]))
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
    kind, trust, last_contact = ties.kind, ties.trust, ties.last_contact
    for e in indices(rep.tie0, rep.tie1):
        if enabled[e]:
            trust_sum[kind[e]] += trust[e]
            trust_n[kind[e]] += 1.0
            if last_contact[e] > month - prm.active_window:
                active += 1.0
    s_all = trust_sum[0] + trust_sum[1] + trust_sum[2] + trust_sum[3]
    n_all = trust_n[0] + trust_n[1] + trust_n[2] + trust_n[3]
    by_type = np.full(4, np.nan)
    for k in range(4):
        if trust_n[k] > 0:
            by_type[k] = trust_sum[k] / trust_n[k]
    n_alive = 0.0
    for p in range(rep.p0, rep.p1):
        if alive[p]:
            n_alive += 1.0
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
        exchange_events=activity.events, programme_budget=activity.budget)


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
