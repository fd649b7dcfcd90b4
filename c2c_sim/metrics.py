"""Outcomes: what is measured each month and summarised per run.

Names are fixed (scripts rely on them); see README "Outputs". Plain functions
of the state arrays, so they can be tested on hand-made states.
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
OUTCOMES = STEP_OUTCOMES + DOMAIN_OUTCOMES + RUN_OUTCOMES
"""Every outcome name in a summary row."""


def mutuality(gain_north: float, gain_south: float) -> float:
    """1 when both sides gain equally, 0 when one side gains nothing: min/max of the two gains.

    No learning on either side counts as no mutual learning (0).
    """
    lo, hi = min(gain_north, gain_south), max(gain_north, gain_south)
    if hi <= 1e-12 or lo <= 0:
        return 0.0
    return float(lo / hi)


def institutionalised_share(memory_gain: np.ndarray, staff_gain: np.ndarray) -> float:
    """Share of the municipalities' learning that is embedded in institutional memory.

    ``memory_gain`` is (M, D) and ``staff_gain`` (M, S, D), gains over the start.
    Embedded knowledge is the memory's gain; knowledge held only by individuals
    is what staff know beyond the memory, ``max(0, staff - memory)`` averaged
    over staff. The share is embedded / (embedded + individual-only): 1 when the
    organisation holds everything its staff learnt, 0 when it holds nothing.
    """
    mem = np.maximum(memory_gain, 0.0)
    individual = np.maximum(staff_gain - mem[:, None, :], 0.0).mean(axis=1)
    den = mem.sum() + individual.sum()
    return float(mem.sum() / den) if den > 1e-12 else 0.0


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def step_metrics(w: World, enabled: np.ndarray, month: int, active_window: int, counters: dict) -> dict[str, float]:
    """All per-month outcomes from the state (``counters`` holds event counts kept by the model)."""
    gain = 0.5 * ((w.explicit - w.explicit0) + (w.tacit - w.tacit0))
    people = (w.kind != Kind.HIGHER_GOVERNMENT) & (w.kind != Kind.KNOWLEDGE_INSTITUTION)
    partnered = people & (w.partnership >= 0)
    north = w.country == 0
    gn_d = gain[partnered & north].mean(axis=0) if (partnered & north).any() else np.full(len(DOMAINS), np.nan)
    gs_d = gain[partnered & ~north].mean(axis=0) if (partnered & ~north).any() else np.full(len(DOMAINS), np.nan)
    gn, gs = float(gn_d.mean()), float(gs_d.mean())
    M, S = w.n_munis, w.staff_per_muni
    pm = w.muni_partnership >= 0
    staff_gain = (w.explicit[:M * S] - w.explicit0[:M * S]).reshape(M, S, -1)
    memory_gain = (w.memory - w.memory0)[pm]
    inst = institutionalised_share(memory_gain, staff_gain[pm])
    outsiders = people & ~w.participated
    trust, ttype = w.trust[enabled], w.tie_type[enabled]
    out = {
        "learning_gain_north": gn,
        "learning_gain_south": gs,
        "mutuality": mutuality(gn, gs) if gn == gn and gs == gs else float("nan"),
        "institutionalised_share": inst,
        "institutional_knowledge_gain": float(memory_gain.mean()) if memory_gain.size else float("nan"),
        "mean_trust": _mean(trust),
        "active_ties": float(np.count_nonzero(enabled & (w.last_contact > month - active_window))),
        "circulation": float(gain[outsiders].mean()) if outsiders.any() else float("nan"),
        "partnerships_alive": float(w.alive.sum()),
        "migrants_involved": float(np.count_nonzero(w.involved[w.kind == Kind.MIGRANT])),
        "initiatives_active": float(np.count_nonzero(w.initiative_start[w.kind == Kind.CSO] >= 0)),
        "policy_adoptions": float(np.count_nonzero(w.adoption_month >= 0)),
        "policy_adoptions_unpartnered": float(np.count_nonzero(w.adoption_month[~pm] >= 0)),
    }
    for t in TieType:
        out[f"mean_trust_{t.name.lower()}"] = _mean(trust[ttype == t])
    for d, a, b in zip(DOMAINS, gn_d, gs_d):
        out[f"learning_gain_north__{d}"] = float(a)
        out[f"learning_gain_south__{d}"] = float(b)
    out.update(counters)
    return out


def restricted_mean_survival(durations: np.ndarray, horizon_left: np.ndarray) -> float:
    """Mean months an initiative lasts, counting still-active ones up to the end of the run (censored)."""
    allv = np.concatenate([durations, horizon_left]).astype(float)
    return float(allv.mean()) if allv.size else float("nan")


def activity_after_programme(events: np.ndarray, programme_end: int, n_partnerships: int) -> float:
    """Exchange events per partnership per month from the programme's end to the end of the run.

    ``events[t]`` are the events of month ``t`` (index 0 is the start state).
    NaN when the run ends before the programme does.
    """
    after = events[max(programme_end, 1):]
    if after.size == 0 or n_partnerships == 0:
        return float("nan")
    return float(after.sum() / (after.size * n_partnerships))
