"""The model's state and parameters as the rules see them: named structures of arrays and scalars.

The rules (:mod:`c2c_sim.rules`) are compiled functions; they take these ``NamedTuple`` s, which numba
passes by reference and caches, instead of long lists of positional arguments. A ``World``
(:mod:`c2c_sim.world`) owns the arrays; :func:`build_state` groups them (the same arrays, not copies:
an edit of ``engine.world`` between months is what the next month sees) and adds what is derived
once from the world: who forgets, which ties need a live partnership, contact rates, indexes.

Replications of a batch share the arrays, stacked section by section (all staff, then all CSOs,
migrants, national bodies; see :func:`c2c_sim.world.stack_worlds`); :func:`replication` gives the
rows, municipalities, partnerships and ties of one of them, which is what a rule loops over.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .compiled import inline_rule
from .config import Config
from .world import NEVER, Kind, TieType, World


class Params(NamedTuple):
    """Every scalar parameter the rules read (from :class:`c2c_sim.config.Config`; see its help texts)."""

    # programme (Rule 1)
    budget_per_year: float
    cost_per_visit: float
    programme_start: int
    programme_duration: int
    bursts: bool
    burst_on: int
    burst_off: int
    coherence: float
    donor: bool
    matching: float
    donor_openness: float
    donor_agenda: float
    learning_strategy: bool
    strategy_focus: float
    funding_cut_month: int
    successor_start: int
    successor_duration: int
    successor_budget: float
    successor_cofinancing: bool
    # municipalities (Rules 1, 9)
    own_activity_rate: float
    delegation_size: int
    dormancy_months: int
    # partnerships (R1, R5, R6, R7)
    familiarity_growth: float
    familiarity_decay: float
    familiarity_distance: float
    strategy_familiarity: float
    response_base: float
    initiator_agenda: float
    domestic_motive: float
    support_growth: float
    support_decay: float
    support_activity: float
    support_dormancy: float
    # country programmes (LOGO South)
    min_partnerships: int
    # trust (Rule 4)
    trust_initial: float
    trust_initial_local: float
    growth: float
    decay: float
    bridge_boost: float
    tacit_exponent: float
    # knowledge (Rule 2, SKIN)
    explicit_rate: float
    tacit_rate: float
    absorptive_base: float
    bounded_gap: float
    forget_rate: float
    monthly_intake: float
    # dissemination (Rules 5, 6, 8)
    internal_rate: float
    institutionalisation_rate: float
    institution_codify: float
    turnover_rate: float
    socialisation: float
    adoption_threshold: float
    active_window: int
    # CSO initiatives (Rule 7)
    start_rate: float
    migrant_boost: float
    transnational_boost: float
    volunteer_decay: float
    momentum_noise: float
    support: float
    support_gain: float
    stall_threshold: float
    cooldown: int
    idle_contact: float
    approval_month: int
    approval_base: float
    capacity_months: int
    support_cut_month: int
    support_cut_factor: float
    # migrants (R7)
    outreach: float
    facilitator: bool
    bridge: float
    initiator_boost: float
    # bookkeeping
    never: int


def params_from_config(cfg: Config) -> Params:
    """The rules' parameters of a validated configuration."""
    p, mu, tr, k, d, c, mg, sh = (cfg.programme, cfg.municipality, cfg.trust, cfg.knowledge, cfg.dissemination,
                                  cfg.cso, cfg.migrants, cfg.shocks)
    pa, cp = cfg.partnership, cfg.country_programme
    return Params(
        budget_per_year=float(p.budget_per_year), cost_per_visit=float(p.cost_per_visit),
        programme_start=int(p.start), programme_duration=int(p.duration), bursts=p.pattern == "bursts",
        burst_on=int(p.burst_on), burst_off=int(p.burst_off), coherence=float(p.coherence), donor=p.mode == "donor",
        matching=float(p.matching), donor_openness=float(p.donor_openness), donor_agenda=float(p.donor_agenda),
        learning_strategy=bool(p.learning_strategy), strategy_focus=float(p.strategy_focus),
        funding_cut_month=int(sh.funding_cut_month), successor_start=int(p.successor_start),
        successor_duration=int(p.successor_duration), successor_budget=float(p.successor_budget),
        successor_cofinancing=bool(p.successor_cofinancing),
        own_activity_rate=float(mu.own_activity_rate), delegation_size=int(mu.delegation_size),
        dormancy_months=int(mu.dormancy_months),
        familiarity_growth=float(pa.familiarity_growth), familiarity_decay=float(pa.familiarity_decay),
        familiarity_distance=float(pa.familiarity_distance), strategy_familiarity=float(pa.strategy_familiarity),
        response_base=float(pa.response_base), initiator_agenda=float(pa.initiator_agenda),
        domestic_motive=float(pa.domestic_motive), support_growth=float(pa.support_growth),
        support_decay=float(pa.support_decay), support_activity=float(pa.support_activity),
        support_dormancy=float(pa.support_dormancy), min_partnerships=int(cp.min_partnerships),
        trust_initial=float(tr.initial), trust_initial_local=float(tr.initial_local), growth=float(tr.growth),
        decay=float(tr.decay), bridge_boost=float(tr.bridge_boost), tacit_exponent=float(tr.tacit_exponent),
        explicit_rate=float(k.explicit_rate), tacit_rate=float(k.tacit_rate), absorptive_base=float(k.absorptive_base),
        bounded_gap=float(k.bounded_gap), forget_rate=float(k.forget_rate), monthly_intake=float(k.monthly_intake),
        internal_rate=float(d.internal_rate), institutionalisation_rate=float(d.institutionalisation_rate),
        institution_codify=float(d.institution_codify),
        turnover_rate=float(d.turnover_rate), socialisation=float(d.socialisation),
        adoption_threshold=float(d.adoption_threshold), active_window=int(d.active_window),
        start_rate=float(c.start_rate), migrant_boost=float(c.migrant_boost),
        transnational_boost=float(c.transnational_boost), volunteer_decay=float(c.volunteer_decay),
        momentum_noise=float(c.momentum_noise), support=float(c.support), support_gain=float(c.support_gain),
        stall_threshold=float(c.stall_threshold), cooldown=int(c.cooldown),
        idle_contact=float(c.idle_contact), approval_month=int(c.approval_month), approval_base=float(c.approval_base),
        capacity_months=int(c.capacity_months),
        support_cut_month=int(sh.support_cut_month), support_cut_factor=float(sh.support_cut_factor),
        outreach=float(mg.outreach), facilitator=bool(mg.facilitator), bridge=float(mg.bridge),
        initiator_boost=float(mg.initiator_boost), never=NEVER)


class Layout(NamedTuple):
    """Sizes per replication (equal in every replication of a batch) and where each replication's ties are."""

    reps: int
    staff: int  # staff rows per replication
    csos: int
    migrants: int
    national: int  # higher-government bodies and knowledge institutions
    munis: int
    partnerships: int
    staff_per_muni: int
    migrants_per_city: int
    tie_ptr: np.ndarray  # (R + 1,) ties of replication r: tie_ptr[r]:tie_ptr[r + 1]


class Rep(NamedTuple):
    """One replication's share of the stacked arrays: half-open ranges ``[x0, x1)``."""

    r: int
    staff0: int  # actor rows of its staff
    staff1: int
    cso0: int  # actor rows of its CSOs
    cso1: int
    mig0: int  # actor rows of its migrants
    mig1: int
    nat0: int  # actor rows of its national bodies
    nat1: int
    muni0: int  # its municipalities
    muni1: int
    p0: int  # its partnerships
    p1: int
    tie0: int  # its ties
    tie1: int
    first_cso: int  # actor row of CSO index 0 (CSO index i is actor row first_cso + i)


@inline_rule
def replication(lay: Layout, r: int) -> Rep:
    """The rows, municipalities, partnerships and ties of replication ``r`` of a batch."""
    R = lay.reps
    cso = R * lay.staff
    mig = cso + R * lay.csos
    nat = mig + R * lay.migrants
    return Rep(r, r * lay.staff, (r + 1) * lay.staff, cso + r * lay.csos, cso + (r + 1) * lay.csos,
               mig + r * lay.migrants, mig + (r + 1) * lay.migrants, nat + r * lay.national,
               nat + (r + 1) * lay.national, r * lay.munis, (r + 1) * lay.munis, r * lay.partnerships,
               (r + 1) * lay.partnerships, lay.tie_ptr[r], lay.tie_ptr[r + 1], cso)


class Knowledge(NamedTuple):
    """Per actor (row): knowledge over the policy domains."""

    explicit: np.ndarray  # (A, D) explicit knowledge in [0, 1]
    tacit: np.ndarray  # (A, D) tacit knowledge in [0, 1]
    explicit0: np.ndarray  # (A, D) float32 starting values: the baseline of gains and forgetting
    tacit0: np.ndarray  # (A, D) float32


class Actors(NamedTuple):
    """Per actor (row): its standing in the network."""

    openness: np.ndarray  # (A,) openness to learn
    north: np.ndarray  # (A,) bool: Dutch side
    forgets: np.ndarray  # (A,) bool: people forget unused gains; national bodies are institutions and do not
    participated: np.ndarray  # (A,) bool: took part in a partnership exchange (reset on turnover)
    involved: np.ndarray  # (A,) bool: engaged in the partnership network (migrants may not be)
    can_involve: np.ndarray  # (A,) bool: a migrant outreach may draw in (classic model: only the employed)
    boundary: np.ndarray  # (A,) bool: staff holding a multilevel tie: they share what they learn there
    migrant_org: np.ndarray  # (A,) bool: CSO that is a migrant organisation
    group: np.ndarray  # (A,) int8: 0 Dutch, 1 southern organisation (staff, CSO) of a partnered city, 2 other
    field: np.ndarray  # (A,) int8: a staff member's field (a domain; R3 colleague matching), -1 for others
    tie_index: np.ndarray  # (A + 1,) ties of actor a: tie_list[tie_index[a]:tie_index[a + 1]]
    tie_list: np.ndarray


class Ties(NamedTuple):
    """Per undirected tie: its ends, type and trust."""

    src: np.ndarray  # (T,) int32 actor rows
    dst: np.ndarray
    kind: np.ndarray  # (T,) int8 TieType
    partnership: np.ndarray  # (T,) int32 partnership the tie belongs to, -1 if none
    trust: np.ndarray  # (T,) in [0, 1]
    last_contact: np.ndarray  # (T,) int32 month, Params.never if none yet
    distance: np.ndarray  # (T,) cultural/language distance of its ends


class TieUse(NamedTuple):
    """Per tie: what governs contact on it."""

    enabled: np.ndarray  # (T,) bool: both ends engaged and the partnership (if needed) alive
    contact_rate: np.ndarray  # (T,) monthly routine contact probability
    f2f: np.ndarray  # (T,) bool: a routine contact is face to face (same country)
    context: np.ndarray  # (T,) int64: whose agenda its contacts follow (partnership, -1 general)
    needs_partnership: np.ndarray  # (T,) bool: lives only while its partnership does (staff pairs, CSO pairs)
    staff_pair: np.ndarray  # (T,) bool: staff of two partner municipalities (meet when both are delegated)
    panel: np.ndarray  # (T,) bool: in use at month 0 (the fixed panel of the trust outcomes)
    ever: np.ndarray  # (T,) bool: in use in some month so far (enters the trust outcomes from then on)
    cso_ends: np.ndarray  # (T, 2) int64: the CSO index of each end (-1: not a CSO), for initiatives (R4)
    programme_country: np.ndarray  # (T,) int8: country whose country programme the tie serves (-1: none)


class Orgs(NamedTuple):
    """Per municipality: institutional memory, adopted practices, proactivity and objectives."""

    memory: np.ndarray  # (M, D) institutional memory (explicit, codified)
    memory0: np.ndarray  # (M, D)
    adopted: np.ndarray  # (M, D) bool
    adoption_month: np.ndarray  # (M, D) int32, -1 never
    partnered: np.ndarray  # (M,) bool
    proactivity: np.ndarray  # (M,)
    objectives: np.ndarray  # (M, D) weights summing to 1
    institution_tie: np.ndarray  # (M,) int64: its staff's tie to the country's knowledge institution, -1 if none


class Partnerships(NamedTuple):
    """Per partnership: its two municipalities, its life, and the ties its exchanges run on."""

    north: np.ndarray  # (P,) municipality
    south: np.ndarray  # (P,)
    alive: np.ndarray  # (P,) bool
    last_exchange: np.ndarray  # (P,) int32 month
    familiarity: np.ndarray  # (P,) mutual understanding in [0, 1] (R5; rules.update_familiarity)
    support: np.ndarray  # (P,) local public and political support in [0, 1] (R7; rules.update_support)
    country: np.ndarray  # (P,) int8: the southern partner's country (1 Morocco, 2 Turkey)
    event_index: np.ndarray  # (P + 1,) ties of partnership p: event_ties[event_index[p]:event_index[p + 1]]
    event_ties: np.ndarray  # ascending within each partnership


class Plan(NamedTuple):
    """Per partnership: this month's exchange plan (Rule 1)."""

    agenda: np.ndarray  # (P + 1, D) agenda; row P (the last) is the general agenda (all 1)
    closeness: np.ndarray  # (P + 1,) share of the distance left on the partnership's contacts (familiarity; row P: 1)
    motive: np.ndarray  # (P + 1,) the Dutch side's factor on openness (domestic motive, R1; row P: 1)
    n_events: np.ndarray  # (P,) int64 exchange events
    rate: np.ndarray  # (P,) expected events
    involved_migrants: np.ndarray  # (P,) int64 involved migrants (after this month's outreach)


class Initiatives(NamedTuple):
    """Per CSO (index i; actor row ``Rep.first_cso + i``): its initiative."""

    momentum: np.ndarray  # (C,)
    start: np.ndarray  # (C,) int32 month it started, -1 if idle
    cooldown_until: np.ndarray  # (C,) int32
    city: np.ndarray  # (C,) municipality
    local_tie: np.ndarray  # (C,) its tie to its contact in the municipality (legitimacy, support), -1 if none
    tn_index: np.ndarray  # (C + 1,) its transnational ties: tn_ties[tn_index[i]:tn_index[i + 1]]
    tn_ties: np.ndarray


class Draws(NamedTuple):
    """The month's row of random numbers of every replication (:func:`c2c_sim.rules.draw_month`)."""

    outreach: np.ndarray  # (A,) one uniform per migrant row (others unused)
    events: np.ndarray  # (P,) one uniform per partnership
    ties: np.ndarray  # (T,) one uniform per tie
    staff: np.ndarray  # (A,) one uniform per staff row (turnover)
    csos: np.ndarray  # (C,) one uniform per CSO (initiative start)
    noise: np.ndarray  # (C,) fluctuation of volunteer input (momentum_noise x standard normal)


class Tally(NamedTuple):
    """Counters per replication and the stall log (what the runner turns into tables)."""

    started: np.ndarray  # (R,) initiatives started, cumulative
    stalled: np.ndarray  # (R,) initiatives stalled, cumulative
    events: np.ndarray  # (R,) exchange events this month
    stall_log: np.ndarray  # (12 C, 3) int64 stalls since the engine last read it: CSO row, start, stall month


class TransferWork(NamedTuple):
    """Working arrays of :func:`c2c_sim.rules.transfer_knowledge` (clean on entry and exit)."""

    inc_e: np.ndarray  # (A, D) a month's explicit increments
    inc_t: np.ndarray  # (A, D)
    best_e: np.ndarray  # (A, D) best source level this month, -1 none
    best_t: np.ndarray  # (A, D)
    used: np.ndarray  # (A,) bool: received knowledge this month (cleared by forget_unused)
    touched: np.ndarray  # (A,) int64 list of receivers


class TrustWork(NamedTuple):
    """Working arrays of :func:`c2c_sim.rules.update_trust` (clean on entry and exit)."""

    contacts: np.ndarray  # (T,) int64 contacts per tie this month
    bridged: np.ndarray  # (T,) bool


class StaffWork(NamedTuple):
    """Working arrays of :func:`c2c_sim.rules.disseminate_internally` (one municipality at a time)."""

    gain: np.ndarray  # (S, D) the staff's explicit gains
    tacit_gain: np.ndarray  # (S, D)
    mean_gain: np.ndarray  # (D,) the sharers' mean; then the staff's booked internal change
    mean_tacit_gain: np.ndarray  # (D,) the sharers' tacit mean; then the booked turnover change
    above: np.ndarray  # (D,) what staff know beyond memory
    memory_gain: np.ndarray  # (D,)


class EventWork(NamedTuple):
    """Working arrays of :func:`c2c_sim.rules.hold_exchanges`."""

    keys: np.ndarray  # (2 S + Mc,) one event's keys: North delegation, South delegation, facilitator
    chosen_north: np.ndarray  # (S,) bool
    chosen_south: np.ndarray  # (S,) bool


class Work(NamedTuple):
    """The month's working arrays."""

    contacts: tuple  # rules.Contacts with room for a replication's ties and some events (more is allocated)
    transfer: TransferWork
    trust: TrustWork
    staff: StaffWork
    event: EventWork
    leave: np.ndarray  # (A,) bool: staff leaving this month
    sharer: np.ndarray  # (A,) bool: staff who share what they learnt with colleagues
    has_migrants: np.ndarray  # (M,) bool: the municipality's partnership has involved migrants
    codified: np.ndarray  # (M,) bool: in recent contact with a knowledge institution (rules.codified_by_institutions)
    country_on: np.ndarray  # (3,) bool: the replication's country programmes running this month
    seen_alive: np.ndarray  # (P,) bool: alive when the ties in use were last computed
    seen_involved: np.ndarray  # (A,) bool: involvement then


CHANNELS = ("exchange", "remote", "cso_cso", "transnational", "local", "multilevel", "internal", "turnover",
            "forgetting", "capped")
"""Where knowledge came from (or went): the channels of :class:`Ledger`, in the order of its index.

``exchange``: contacts at exchange events (visits and workshops, the CSO-CSO meetings at events
included); ``remote``: routine contacts on partnership ties between visits; ``cso_cso``: routine contacts
on the ties of partner cities' CSOs; ``transnational``: routine contacts on migrants' ties and the other
transnational ties; ``local``: on local ties; ``multilevel``: on multilevel ties; ``internal``: colleagues
and institutional memory within the municipality (Rule 5); ``turnover``: what leavers take with them
(negative) and newcomers bring from memory; ``forgetting``: unused gains fading (negative); ``capped``:
what the month's limits cut from the contacts' increments, the monthly intake (``rules.absorbed``) and
the cap by the best source (negative; the contact channels hold what each contact offered, before
those limits)."""
EXCHANGE, REMOTE, CSO_CSO, TRANSNATIONAL_CH, LOCAL_CH, MULTILEVEL_CH, INTERNAL, TURNOVER, FORGETTING, CAPPED = range(10)


class Ledger(NamedTuple):
    """Every change of a side's knowledge, booked to its channel by the rule that makes it, so the
    channels add up to the learning gains (``gain = 0.5 * (explicit + tacit)`` change, summed over the
    side's actors: the staff and CSOs of partnered municipalities)."""

    book: np.ndarray  # (R, 2, D, len(CHANNELS)) cumulative: replication, side, domain, channel
    channel: np.ndarray  # (T,) int64: the channel of a routine contact on the tie


class Measured(NamedTuple):
    """The month's outcomes of one replication (definitions: :mod:`c2c_sim.metrics`); the learning gains
    per domain are written apart (``State.gains``)."""

    learning_gain_north: float
    learning_gain_south: float
    mutuality: float
    institutionalised_share: float
    institutional_knowledge_gain: float
    mean_trust: float
    mean_trust_partnership: float
    mean_trust_local: float
    mean_trust_transnational: float
    mean_trust_multilevel: float
    active_ties: float
    circulation: float
    partnerships_alive: float
    migrants_involved: float
    initiatives_active: float
    policy_adoptions: float
    policy_adoptions_unpartnered: float
    initiatives_started: float
    initiatives_stalled: float
    exchange_events: float
    programme_budget: float
    learning_on_objectives_north: float
    learning_on_objectives_south: float
    trust_panel_partnership: float
    trust_panel_local: float
    trust_panel_transnational: float
    trust_panel_multilevel: float
    trust_entered_partnership: float
    trust_entered_local: float
    trust_entered_transnational: float
    trust_entered_multilevel: float
    partnership_support: float
    partnership_familiarity: float


OUTCOME_FIELDS = Measured._fields
"""The outcomes of :class:`Measured`, in the order of the rows of ``State.table``."""


class State(NamedTuple):
    """Everything a month reads and writes."""

    layout: Layout
    knowledge: Knowledge
    actors: Actors
    ties: Ties
    use: TieUse
    orgs: Orgs
    partnerships: Partnerships
    plan: Plan
    initiatives: Initiatives
    draws: Draws
    tally: Tally
    work: Work
    ledger: Ledger
    table: np.ndarray  # (K, R) the month's outcomes, rows in the order of OUTCOME_FIELDS
    gains: np.ndarray  # (2, D, R) the month's learning gain per side (Dutch 0, southern 1) and domain
    sources: np.ndarray  # (len(CHANNELS), 2, R) each channel's share of the side's learning gain, cumulative
    channel_gains: np.ndarray  # (2, D, len(CHANNELS), R) each channel's part of the side's gain per domain
    by_municipality: np.ndarray  # (M, len(MUNICIPALITY_FIELDS)) the month's outcomes of each municipality
    by_partnership: np.ndarray  # (P, len(PARTNERSHIP_FIELDS)) the month's outcomes of each partnership


MUNICIPALITY_FIELDS = ("staff_learning", "institutional_knowledge_gain")
"""Columns of ``State.by_municipality`` (:func:`c2c_sim.metrics.measure`)."""
PARTNERSHIP_FIELDS = ("alive", "trust", "exchange_events")
"""Columns of ``State.by_partnership`` (:func:`c2c_sim.metrics.measure_partnerships`)."""


WORLD_ARRAYS = {  # structure field -> World attribute: the arrays the state shares with the world
    "knowledge": {"explicit": "explicit", "tacit": "tacit", "explicit0": "explicit0", "tacit0": "tacit0"},
    "actors": {"openness": "openness", "participated": "participated", "involved": "involved",
               "migrant_org": "migrant_org"},
    "ties": {"src": "src", "dst": "dst", "kind": "tie_type", "partnership": "tie_partnership", "trust": "trust",
             "last_contact": "last_contact", "distance": "distance"},
    "orgs": {"memory": "memory", "memory0": "memory0", "adopted": "adopted", "adoption_month": "adoption_month",
             "proactivity": "proactivity", "objectives": "objectives"},
    "partnerships": {"north": "p_north", "south": "p_south", "alive": "alive", "last_exchange": "last_exchange",
                     "familiarity": "familiarity", "support": "support"},
    "initiatives": {"momentum": "momentum", "start": "initiative_start", "cooldown_until": "cooldown_until"},
}


def shared_arrays(state: State) -> list[tuple[str, np.ndarray]]:
    """(World attribute, array) of every array the state shares with its world."""
    return [(name, getattr(getattr(state, part), field))
            for part, fields in WORLD_ARRAYS.items() for field, name in fields.items()]


def shares_world(shared: list[tuple[str, np.ndarray]], w: World) -> bool:
    """Whether the world still holds the arrays of ``shared`` (:func:`shared_arrays` of a state): False
    after one of them was replaced."""
    for name, array in shared:
        if getattr(w, name) is not array:
            return False
    return True


def _index(ends: tuple[np.ndarray, ...], n: int, ties: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """CSR index of the ties at each of rows ``0:n``: ``ends`` are the rows at each end of every tie
    (ends outside ``0:n`` are left out), ``ties`` their indices (default ``0, 1, ...``)."""
    ties = np.arange(len(ends[0]), dtype=np.int64) if ties is None else np.asarray(ties, np.int64)
    rows = np.concatenate(ends)
    tie = np.tile(ties, len(ends))
    inside = (rows >= 0) & (rows < n)
    rows, tie = rows[inside], tie[inside]
    order = np.argsort(rows, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    return ptr, tie[order]


def contact_rates(w: World, cfg: Config, needs_partnership: np.ndarray) -> np.ndarray:
    """Monthly routine contact probability of each tie (Rule 6), by tie type; none on the ties that need
    a partnership (staff pairs, CSO pairs) when ``network.partnership_contacts`` is off (the twin run of
    the caused outcomes)."""
    d = cfg.dissemination
    rate = np.select(
        [w.tie_type == TieType.PARTNERSHIP, w.tie_type == TieType.LOCAL, w.tie_type == TieType.TRANSNATIONAL],
        [d.remote_contact_rate, d.local_contact_rate * d.external_rate, d.transnational_contact_rate],
        d.multilevel_contact_rate * d.external_rate)
    if not cfg.network.partnership_contacts:
        rate = np.where(needs_partnership, 0.0, rate)
    prog = w.tie_programme >= 0  # country programme ties (7.15): with an unpartnered end they spread, else peers
    city = np.where(w.city >= 0, w.city, 0)
    unpartnered = ((w.city[w.src] >= 0) & (w.muni_partnership[city[w.src]] < 0)) | (
        (w.city[w.dst] >= 0) & (w.muni_partnership[city[w.dst]] < 0))
    cp = cfg.country_programme
    rate = np.where(prog, np.where(unpartnered, cp.spread_contact_rate, cp.peer_contact_rate), rate)
    return np.clip(rate, 0.0, 1.0)


def build_state(w: World, cfg: Config, keep: State | None = None) -> State:
    """The structures of a world: its arrays, what is derived from them once, and working space.

    ``keep`` (a state of the same world) keeps its ties in use, month's plan, counters, draws, working
    arrays and outcomes: for rebuilding after an array of the world was replaced between months."""
    R = w.n_reps
    A, M, P, T, D = w.n_actors, w.n_munis, w.n_partnerships, len(w.src), w.n_domains
    S, Mc = w.staff_per_muni, w.migrants_per_city
    n_cso = w.n_munis * w.csos_per_muni
    n_mig = P * Mc
    lay = Layout(reps=R, staff=M * S // R, csos=n_cso // R, migrants=n_mig // R,
                 national=(A - M * S - n_cso - n_mig) // R, munis=M // R, partnerships=P // R, staff_per_muni=S,
                 migrants_per_city=Mc, tie_ptr=np.ascontiguousarray(w.tie_ptr, np.int64))
    kind_src, kind_dst = w.kind[w.src], w.kind[w.dst]
    staff_pair = w.tie_type == TieType.PARTNERSHIP
    cso_pair = (w.tie_type == TieType.TRANSNATIONAL) & (kind_src == Kind.CSO) & (kind_dst == Kind.CSO)
    needs_partnership = staff_pair | cso_pair
    organisation = (w.kind == Kind.STAFF) | (w.kind == Kind.CSO)
    partnered = organisation & (w.partnership >= 0)
    north = w.country == 0
    mig = w.kind == Kind.MIGRANT
    can_involve = mig & (w.employed if cfg.network.model == "classic" else True)
    boundary = np.zeros(A, bool)
    ml = (w.tie_type == TieType.MULTILEVEL) & (w.tie_programme < 0)  # country programme ties make no spanners
    for end in (w.src[ml], w.dst[ml]):
        boundary[end[w.kind[end] == Kind.STAFF]] = True
    tie_index, tie_list = _index((w.src.astype(np.int64), w.dst.astype(np.int64)), A)
    event = np.flatnonzero(needs_partnership)
    event_ties = event[np.argsort(w.tie_partnership[event], kind="stable")].astype(np.int64)
    event_index = np.concatenate([[0], np.cumsum(np.bincount(w.tie_partnership[event_ties], minlength=P))])
    cso_rows = np.arange(w.cso_start, w.cso_start + n_cso)
    knowledge = Knowledge(explicit=w.explicit, tacit=w.tacit, explicit0=w.explicit0, tacit0=w.tacit0)
    actors = Actors(
        openness=w.openness, north=north, forgets=(w.kind == Kind.STAFF) | (w.kind == Kind.CSO) | mig,
        participated=w.participated, involved=w.involved, can_involve=np.ascontiguousarray(can_involve),
        boundary=boundary, migrant_org=w.migrant_org,
        group=np.select([partnered & north, partnered & ~north], [0, 1], 2).astype(np.int8),
        field=np.where(w.kind == Kind.STAFF, (np.arange(A) % S) % D, -1).astype(np.int8),
        tie_index=tie_index, tie_list=tie_list)
    ties = Ties(src=w.src, dst=w.dst, kind=w.tie_type, partnership=w.tie_partnership, trust=w.trust,
                last_contact=w.last_contact, distance=w.distance)
    kept = {k: (np.zeros(T, bool) if keep is None else getattr(keep.use, k)) for k in ("enabled", "panel", "ever")}
    use = TieUse(contact_rate=contact_rates(w, cfg, needs_partnership), f2f=w.country[w.src] == w.country[w.dst],
                 context=np.where(needs_partnership, w.tie_partnership, -1).astype(np.int64),
                 needs_partnership=needs_partnership, staff_pair=staff_pair,
                 cso_ends=_cso_ends(w), programme_country=np.ascontiguousarray(w.tie_programme, np.int8), **kept)
    orgs = Orgs(memory=w.memory, memory0=w.memory0, adopted=w.adopted, adoption_month=w.adoption_month,
                partnered=w.muni_partnership >= 0, proactivity=w.proactivity, objectives=w.objectives,
                institution_tie=_institution_ties(w))
    partnerships = Partnerships(north=w.p_north, south=w.p_south, alive=w.alive, last_exchange=w.last_exchange,
                                familiarity=w.familiarity, support=w.support,
                                country=np.ascontiguousarray(w.muni_country[w.p_south], np.int8), event_index=event_index.astype(np.int64), event_ties=event_ties)
    tn = w.tie_type == TieType.TRANSNATIONAL
    tn_index, tn_ties = _index((w.src[tn].astype(np.int64) - w.cso_start, w.dst[tn].astype(np.int64) - w.cso_start),
                               n_cso, np.flatnonzero(tn))
    initiatives = Initiatives(momentum=w.momentum, start=w.initiative_start, cooldown_until=w.cooldown_until,
                              city=np.ascontiguousarray(w.city[cso_rows]),
                              local_tie=np.ascontiguousarray(w.cso_local_tie[cso_rows]), tn_index=tn_index,
                              tn_ties=tn_ties)
    if keep is not None:
        return keep._replace(layout=lay, knowledge=knowledge, actors=actors, ties=ties, use=use, orgs=orgs,
                             partnerships=partnerships, initiatives=initiatives)
    plan = Plan(agenda=np.ones((P + 1, D)), closeness=np.ones(P + 1), motive=np.ones(P + 1), n_events=np.zeros(P, np.int64), rate=np.zeros(P),
                involved_migrants=np.zeros(P, np.int64))
    draws = Draws(outreach=np.zeros(A), events=np.zeros(P), ties=np.zeros(T), staff=np.zeros(A),
                  csos=np.zeros(n_cso), noise=np.zeros(n_cso))
    tally = Tally(started=np.zeros(R), stalled=np.zeros(R), events=np.zeros(R),
                  stall_log=np.zeros((12 * max(n_cso, 1), 3), np.int64))  # room for a year of stalls
    from .rules import Contacts  # the rules define what a contact is

    room = int(np.diff(lay.tie_ptr).max(initial=0)) + 64
    work = Work(
        contacts=Contacts(np.zeros(room, np.int64), np.zeros(room, bool), np.zeros(room, bool),
                          np.zeros(room, np.int64)),
        transfer=TransferWork(inc_e=np.zeros((A, D)), inc_t=np.zeros((A, D)), best_e=np.full((A, D), -1.0),
                              best_t=np.full((A, D), -1.0), used=np.zeros(A, bool), touched=np.zeros(A, np.int64)),
        trust=TrustWork(contacts=np.zeros(T, np.int64), bridged=np.zeros(T, bool)),
        staff=StaffWork(gain=np.zeros((S, D)), tacit_gain=np.zeros((S, D)), mean_gain=np.zeros(D),
                        mean_tacit_gain=np.zeros(D), above=np.zeros(D), memory_gain=np.zeros(D)),
        event=EventWork(keys=np.zeros(2 * S + Mc), chosen_north=np.zeros(S, bool), chosen_south=np.zeros(S, bool)),
        leave=np.zeros(A, bool), sharer=np.zeros(A, bool), has_migrants=np.zeros(M, bool),
        codified=np.zeros(M, bool), country_on=np.zeros(3, bool),
        seen_alive=w.alive.copy(), seen_involved=w.involved.copy())
    return State(layout=lay, knowledge=knowledge, actors=actors, ties=ties, use=use, orgs=orgs,
                 partnerships=partnerships, plan=plan, initiatives=initiatives, draws=draws, tally=tally, work=work,
                 ledger=_ledger(w, cso_pair, R), table=np.zeros((len(OUTCOME_FIELDS), R)),
                 gains=np.zeros((2, D, R)), sources=np.zeros((len(CHANNELS), 2, R)),
                 channel_gains=np.zeros((2, D, len(CHANNELS), R)),
                 by_municipality=np.zeros((M, len(MUNICIPALITY_FIELDS))),
                 by_partnership=np.zeros((P, len(PARTNERSHIP_FIELDS))))


def _cso_ends(w: World) -> np.ndarray:
    """(T, 2): for each tie the CSO index of its src and dst ends (actor row - ``w.cso_start``), -1 if not a CSO."""
    ends = np.stack([w.src, w.dst], axis=1).astype(np.int64)
    return np.where(w.kind[ends] == Kind.CSO, ends - w.cso_start, -1).astype(np.int64)


def _institution_ties(w: World) -> np.ndarray:
    """Each municipality's tie to its country's knowledge institution (a staff member holds it; -1 if none)."""
    out = np.full(w.n_munis, -1, np.int64)
    for a, b in ((w.src, w.dst), (w.dst, w.src)):
        hit = np.flatnonzero((w.kind[a] == Kind.STAFF) & (w.kind[b] == Kind.KNOWLEDGE_INSTITUTION))
        out[a[hit] // w.staff_per_muni] = hit
    return out


def general_plan(agenda: np.ndarray) -> Plan:
    """A plan that is only an agenda (rows: partnerships, the last the general agenda; one row: no
    partnership), neutral otherwise (no familiarity, no motive): for rules run on a hand-made state
    (tests, benchmarks)."""
    agenda = np.ascontiguousarray(np.atleast_2d(agenda), dtype=np.float64)
    P = agenda.shape[0] - 1
    return Plan(agenda=agenda, closeness=np.ones(P + 1), motive=np.ones(P + 1), n_events=np.zeros(P, np.int64),
                rate=np.zeros(P), involved_migrants=np.zeros(P, np.int64))


def empty_ledger(n_actors: int, n_ties: int, n_domains: int) -> Ledger:
    """A ledger that books nothing (no actor on a side): for calling the rules on hand-made states."""
    C = len(CHANNELS)
    return Ledger(book=np.zeros((1, 2, n_domains, C)), channel=np.zeros(n_ties, np.int64))


class Learners(NamedTuple):
    """What :func:`c2c_sim.rules.transfer_knowledge` reads of the actors (an :class:`Actors` has it too)."""

    openness: np.ndarray
    north: np.ndarray
    group: np.ndarray
    field: np.ndarray


def _ledger(w: World, cso_pair: np.ndarray, R: int) -> Ledger:
    """An empty ledger with each tie's routine channel."""
    channel = np.select([w.tie_type == TieType.PARTNERSHIP, cso_pair, w.tie_type == TieType.TRANSNATIONAL,
                         w.tie_type == TieType.LOCAL], [REMOTE, CSO_CSO, TRANSNATIONAL_CH, LOCAL_CH],
                        MULTILEVEL_CH).astype(np.int64)
    return Ledger(book=np.zeros((R, 2, w.n_domains, len(CHANNELS))), channel=channel)
