"""Outcomes: what is measured each month and summarised per run.

Names are fixed (scripts rely on them). A knowledge *gain* is the mean of
explicit and tacit knowledge minus its starting value (per actor and domain).

* ``learning_gain_north`` / ``_south``: mean gain of the staff and CSOs of the
  partnered municipalities on each side (mean over actors and domains);
  ``learning_gain_<side>__<domain>`` per domain.
* ``mutuality``: min/max of the two sides' gains (1 equal, 0 one side nothing).
* ``institutionalised_share``: embedded / (embedded + individual-only) knowledge
  gain of partnered municipalities (:func:`institutionalised_share`);
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

import numpy as np

from .config import DOMAINS
from .world import Kind, TieType, World

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


def mutuality(gain_north: float, gain_south: float) -> float:
    """1 when both sides gain equally, 0 when one side gains nothing: min/max of the two gains.

    No learning on either side counts as no mutual learning (0).
    """
    return float(mutuality_array(np.array([gain_north]), np.array([gain_south]))[0])


def institutionalised_share(memory_gain: np.ndarray, staff_gain: np.ndarray, group: np.ndarray,
                            n_groups: int) -> np.ndarray:
    """Share of the municipalities' learning that is embedded in institutional memory, per group.

    ``memory_gain`` is (M, D) and ``staff_gain`` (M, S, D): gains over the start
    of M municipalities, each in group ``group[m]`` (its replication).
    Embedded knowledge is the memory's gain; knowledge held only by individuals
    is what staff know beyond the memory, ``max(0, staff - memory)`` averaged
    over staff. The share is embedded / (embedded + individual-only): 1 when the
    organisation holds everything its staff learnt, 0 when it holds nothing
    (also when nobody learnt anything); NaN for a group without municipalities.
    """
    mem = np.maximum(memory_gain, 0.0)
    individual = np.maximum(staff_gain - mem[:, None, :], 0.0).mean(axis=1)
    mem_sum = np.bincount(group, weights=mem.sum(axis=1), minlength=n_groups)
    ind_sum = np.bincount(group, weights=individual.sum(axis=1), minlength=n_groups)
    count = np.bincount(group, minlength=n_groups)
    return np.where(count > 0, np.nan_to_num(_ratio(mem_sum, mem_sum + ind_sum)), np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 0)


def mutuality_array(gn: np.ndarray, gs: np.ndarray) -> np.ndarray:
    """:func:`mutuality` elementwise over replications (NaN where a side is absent)."""
    lo, hi = np.minimum(gn, gs), np.maximum(gn, gs)
    out = np.where((hi > 1e-12) & (lo > 0), lo / np.where(hi > 1e-12, hi, 1.0), 0.0)
    return np.where(np.isnan(gn) | np.isnan(gs), np.nan, out)


class Measures:
    """Computes every per-month outcome for each replication of a (stacked) world.

    Group sums use ``np.bincount`` over replication ids, which adds each
    replication's values in the same order whatever the batch, so outcomes are
    bit-identical whether a replication runs alone or with others.
    """

    def __init__(self, w: World) -> None:
        self.R = R = w.n_reps
        self.D = D = w.n_domains
        organisations = (w.kind == Kind.STAFF) | (w.kind == Kind.CSO)
        partnered = organisations & (w.partnership >= 0)
        north = w.country == 0
        self.groups = {}
        for side, mask in (("north", partnered & north), ("south", partnered & ~north)):
            rows = np.flatnonzero(mask)
            idx = (w.rep[rows][:, None] * D + np.arange(D)).ravel()
            self.groups[side] = (rows, idx, np.bincount(w.rep[rows], minlength=R).astype(float))
        self.group = np.select([partnered & north, partnered & ~north], [0, 1], 2).astype(np.int8)
        self.staff = w.kind == Kind.STAFF
        self.pm = w.muni_partnership >= 0
        self.pm_rep = w.muni_rep[self.pm]
        self.pm_count = np.bincount(self.pm_rep, minlength=R).astype(float)
        self.M, self.S = w.n_munis, w.staff_per_muni
        self.tie_key = w.tie_rep.astype(np.int64) * len(TieType) + w.tie_type
        self.mig = w.kind == Kind.MIGRANT
        self.cso = w.kind == Kind.CSO

    def actor_sums(self, w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(side sums (2, R, D), circulation sum (R,), staff who never took part (R,))."""
        R, D = self.R, self.D
        gain = 0.5 * ((w.explicit - w.explicit0) + (w.tacit - w.tacit0))
        sums = np.stack([np.bincount(idx, weights=gain[rows].ravel(), minlength=R * D).reshape(R, D)
                         for rows, idx, _ in self.groups.values()])
        outsider = (self.staff & ~w.participated).astype(float)
        row_gain = gain.sum(axis=1) / D
        return (sums, np.bincount(w.rep, weights=row_gain * outsider, minlength=R),
                np.bincount(w.rep, weights=outsider, minlength=R))

    def __call__(self, w: World, enabled: np.ndarray, month: int, active_window: int,
                 counters: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        R, D = self.R, self.D
        sums, circ, circ_n = self.actor_sums(w)
        out: dict[str, np.ndarray] = {}
        side_mean = {}
        for k, (side, (_rows, _idx, count)) in enumerate(self.groups.items()):
            per_domain = _ratio(sums[k].ravel(), np.repeat(count, D)).reshape(R, D)
            side_mean[side] = per_domain.mean(axis=1)
            out[f"learning_gain_{side}"] = side_mean[side]
            for j, d in enumerate(DOMAINS):
                out[f"learning_gain_{side}__{d}"] = per_domain[:, j]
        out["mutuality"] = mutuality_array(side_mean["north"], side_mean["south"])
        M, S = self.M, self.S
        memory_gain = (w.memory - w.memory0)[self.pm]
        staff_gain = (w.explicit[:M * S] - w.explicit0[:M * S]).reshape(M, S, D)[self.pm]
        out["institutionalised_share"] = institutionalised_share(memory_gain, staff_gain, self.pm_rep, R)
        out["institutional_knowledge_gain"] = _ratio(
            np.bincount(self.pm_rep, weights=memory_gain.sum(axis=1), minlength=R), self.pm_count * D)
        n_types = len(TieType)
        en = enabled.astype(float)
        by_type = np.bincount(self.tie_key, weights=w.trust * en, minlength=R * n_types)
        n_by_type = np.bincount(self.tie_key, weights=en, minlength=R * n_types)
        active = np.bincount(w.tie_rep, weights=en * (w.last_contact > month - active_window), minlength=R)
        out["mean_trust"] = _ratio(by_type.reshape(R, n_types).sum(axis=1), n_by_type.reshape(R, n_types).sum(axis=1))
        for t in TieType:
            out[f"mean_trust_{t.name.lower()}"] = _ratio(by_type[t::n_types], n_by_type[t::n_types])
        out["active_ties"] = active
        out["circulation"] = _ratio(circ, circ_n)
        out["partnerships_alive"] = np.bincount(w.p_rep, weights=w.alive, minlength=R)
        out["migrants_involved"] = np.bincount(w.rep[self.mig], weights=w.involved[self.mig], minlength=R)
        out["initiatives_active"] = np.bincount(w.rep[self.cso], weights=w.initiative_start >= 0,
                                                minlength=R)
        adopted = (w.adoption_month >= 0).sum(axis=1)
        out["policy_adoptions"] = np.bincount(w.muni_rep, weights=adopted, minlength=R)
        out["policy_adoptions_unpartnered"] = np.bincount(w.muni_rep[~self.pm], weights=adopted[~self.pm],
                                                          minlength=R)
        out.update({k: np.array(v, dtype=float) for k, v in counters.items()})  # copies: counters change
        return out


def mean_initiative_months(months: np.ndarray, replication: np.ndarray, n_reps: int) -> np.ndarray:
    """Mean months an initiative lasts, per replication: ``months`` (``end - start``) of every initiative,
    stalled ones their full length, still-active ones up to the end of the run (censored, so a lower
    bound); ``replication`` (0..n_reps-1) says whose each is. NaN for a replication without initiatives.
    For Kaplan-Meier survival see :func:`c2c_sim.stats.restricted_mean_survival`."""
    total = np.bincount(replication, weights=np.asarray(months, float), minlength=n_reps)
    return _ratio(total, np.bincount(replication, minlength=n_reps).astype(float))


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
