"""The typed parameter schema of c2c_sim, its allowed ranges, and its validation.

Every parameter of the model lives here once: a dataclass field with a type, a
default and an allowed range (``lo``/``hi``) or set of ``choices``. The same
schema serves three doors into the model:

* the Hydra app (``c2c-sim``): the dataclasses are stored in Hydra's ConfigStore
  and ``configs/config.yaml`` builds on them, so YAML presets cannot add keys;
* ``c2c_sim.run(**params)`` and ``C2CModel(**params)``: flat keyword names
  ``<section>_<field>`` (``trust_initial``, ``programme_duration``...) or a
  preset name for a config group (``programme="long_term"``);
* ``make_config(overrides)`` with dotted keys (``{"trust.initial": 0.3}``).

The dataclass defaults *are* the default scenario (``configs/config.yaml``
selects presets whose values equal them; a test checks this).

Bad input raises :class:`ConfigError` with one line naming the key, the value
and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from .calendar import is_date, label, month_number, resolve_month, resolve_paid_from
from .resources import data_dir

DOMAINS: tuple[str, ...] = (
    "youth_participation",
    "cultural_diversity",
    "local_governance",
    "service_delivery",
    "social_welfare",
    "environment",
)
"""Policy domains named in the research texts (youth participation and dealing
with cultural diversity from the migrant study; governance, service delivery,
social welfare and environment from LOGO South's themes)."""

NETWORK_MODELS = ("classic", "multi_actor", "multilevel_hybrid")
PROGRAMME_MODES = ("peer", "donor")
PROGRAMME_PATTERNS = ("continuous", "bursts")

CONFIG_DIR = data_dir("configs")
GROUPS = ("network", "programme", "scenario", "experiment")
PRESET_ALIASES = {"scenario_preset": "scenario"}
"""Another name for a group's preset keyword: ``C2CModel(scenario=...)`` collides with ``mesa.Model``'s
``scenario`` (Mesa >= 3.4), so the Python doors also take ``scenario_preset``."""
EXACT_FLOAT_INT = 2**53
"""Beyond this a float cannot hold every integer, so a whole float is not trusted as one (a seed, say)."""


class ConfigError(ValueError):
    """A parameter is unknown, of the wrong type or out of range (one-line message)."""


def param(default: Any, lo: float | None = None, hi: float | None = None, *,
          choices: tuple | None = None, help: str = "", dated: str | None = None) -> Any:
    """A schema field with its allowed range; lists/dicts get a default factory. ``dated``: the field is a
    month and also takes a date ``YYYY-MM`` (:mod:`c2c_sim.calendar`): ``"on"`` the month itself,
    ``"after"`` the month before it (a programme that starts paying in that month; in YAML
    ``${c2c.paid_from:YYYY-MM}``)."""
    meta = {"lo": lo, "hi": hi, "choices": choices, "help": help, "dated": dated}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def _profile(*values: float) -> dict[str, float]:
    return dict(zip(DOMAINS, values, strict=True))


@dataclass
class WorldConfig:
    """Who exists: municipalities, their staff, CSOs and migrants."""

    partnerships_morocco: int = param(3, 0, 500, help="Dutch-Moroccan municipal partnerships")
    partnerships_turkey: int = param(2, 0, 500, help="Dutch-Turkish municipal partnerships")
    unpartnered_north: int = param(4, 0, 5000, help="Dutch municipalities outside any partnership")
    unpartnered_south: int = param(2, 0, 5000, help="municipalities outside any partnership, per southern country")
    staff_per_municipality: int = param(8, 1, 10000, help="staff who can take part in international work")
    csos_per_municipality: int = param(2, 0, 1000, help="civil-society organisations per city")
    migrant_org_share: float = param(0.5, 0.0, 1.0, help="share of Dutch CSOs that are migrant organisations")
    migrants_per_city: int = param(30, 0, 100000, help="migrants in a partnered Dutch city with ties to its partner city")
    large_communities: int = param(0, 0, 500, help="Dutch-Moroccan partnerships (the first ones) whose Dutch city "
                                   "has a large community from its partner city, as Zeist (3,500 of 60,000 "
                                   "inhabitants of Moroccan origin) with Berkane; their migrants take part at "
                                   "migrants.community_involvement. Capped at world.partnerships_morocco: a value "
                                   "above it makes every Dutch-Moroccan partnership one, never a Dutch-Turkish one")


@dataclass
class NetworkConfig:
    """Which ties exist (the governance network model of the partnership)."""

    model: str = param("multi_actor", choices=NETWORK_MODELS,
                       help="classic: governments only; multi_actor: + CSOs and migrants; "
                            "multilevel_hybrid: + higher government and knowledge institutions")
    partnership_density: float = param(0.5, 0.0, 1.0, help="probability that two staff of partner municipalities are tied")
    multilevel_contacts: int = param(2, 0, 100, help="staff per municipality tied to the higher government level")
    national_ties: bool = param(False, help="the Dutch higher-government body is tied to the southern ones "
                                "(a national-to-national channel; multilevel network)")
    partnership_contacts: bool = param(True, help="partnership and CSO-CSO ties carry routine (remote) contacts; "
                                                  "false in the twin run of the caused outcomes")


@dataclass
class ProgrammeConfig:
    """The support programme that pays for exchange visits and workshops (Rule 1, Rule 3)."""

    name: str = param("logo_south", help="label of the programme preset")
    budget_per_year: float = param(60.0, 0.0, 1e7, help="k EUR per partnership per year")
    cost_per_visit: float = param(10.0, 0.01, 1e6, help="k EUR per exchange visit or workshop")
    start: int = param(0, 0, 100000, help="month the programme starts: it pays from the next month on (a date "
                       "YYYY-MM is the first paid month)", dated="after")
    duration: int = param(48, 0, 100000, help="months the programme runs")
    pattern: str = param("continuous", choices=PROGRAMME_PATTERNS, help="continuous or piecemeal bursts")
    burst_on: int = param(3, 1, 1000, help="months of activity per burst (pattern=bursts)")
    burst_off: int = param(9, 0, 1000, help="months of pause after a burst (pattern=bursts)")
    coherence: float = param(0.0, 0.0, 1.0, help="0: programme serves the South's objectives only; 1: both sides' equally")
    mode: str = param("peer", choices=PROGRAMME_MODES, help="peer: colleague to colleague, both ways; donor: the "
                      "visiting North teaches (programme.donor_*)")
    matching: float = param(1.0, 0.0, 10.0, help="extra transfer in their own field between exchange participants "
                            "of the same field (peer mode: colleague matching, R3); 0: off")
    donor_openness: float = param(0.3, 0.0, 1.0, help="donor mode: Dutch openness to learn in the partnership's "
                                  "contacts, as a share of its own (0: nothing flows South to North)")
    donor_agenda: float = param(1.0, 0.0, 1.0, help="donor mode: share of the agenda set on the South's deficits "
                                "(where Dutch institutional memory exceeds the southern)")
    successor_start: int = param(-1, -1, 100000, help="month after which a successor programme pays (a date YYYY-MM "
                                 "is its first paid month; LOGO South's successor 2012-2016); -1: none",
                                 dated="after")
    successor_duration: int = param(0, 0, 100000, help="months the successor programme runs")
    successor_budget: float = param(0.65, 0.0, 10.0, help="the successor's budget as a share of budget_per_year "
                                    "(LOGO South's successor had 35 % less)")
    successor_cofinancing: bool = param(False, help="the successor pays the Dutch side's part of an exchange; "
                                        "false: it does not co-finance Dutch municipal initiatives, so a paid "
                                        "exchange happens only if the Dutch side takes it up at its own cost "
                                        "(rules.take_up of its proactivity)")
    learning_strategy: bool = param(False, help="clear learning objectives focus exchanges on wanted domains")
    strategy_focus: float = param(2.0, 1.0, 10.0, help="how sharply a learning strategy focuses the agenda")


@dataclass
class MunicipalityConfig:
    """Local governments: openness to learn, proactivity and objectives (Rules 1, 3, 9)."""

    openness_north: float = param(0.4, 0.0, 1.0, help="Dutch municipalities' openness to learn")
    openness_south: float = param(0.8, 0.0, 1.0, help="Moroccan/Turkish municipalities' openness to learn")
    proactivity_north: float = param(0.3, 0.0, 1.0, help="acts (1) or re-acts (0)")
    proactivity_south: float = param(0.3, 0.0, 1.0, help="acts (1) or re-acts (0)")
    own_activity_rate: float = param(0.6, 0.0, 100.0, help="exchanges/month from own means at full proactivity and trust")
    delegation_size: int = param(4, 1, 1000, help="staff per side meeting in one exchange")
    dormancy_months: int = param(24, 1, 100000, help="a partnership without exchange this long ends")
    objectives_north: dict = param(_profile(0.15, 0.45, 0.1, 0.1, 0.1, 0.1),
                                   help="Dutch weights over domains (domestic issues such as diversity)")
    objectives_south: dict = param(_profile(0.2, 0.05, 0.3, 0.25, 0.1, 0.1),
                                   help="southern weights over domains (decentralisation, services)")


@dataclass
class PartnershipConfig:
    """How the two municipalities of a partnership work together (R1, R5, R6, R7; docs/odd.md, 7.3)."""

    familiarity_growth: float = param(0.1, 0.0, 1.0, help="share of missing familiarity gained per exchange event "
                                      "(getting to know each other, R5)")
    familiarity_decay: float = param(0.02, 0.0, 1.0, help="share of familiarity lost per month without an exchange")
    familiarity_distance: float = param(0.5, 0.0, 1.0, help="share of the cultural and language distance on the "
                                        "partnership's contacts that full familiarity removes (Nooteboom); 0: off")
    strategy_familiarity: float = param(0.5, 0.0, 1.0, help="share of a learning strategy's focus that needs "
                                        "familiarity (realistic expectations, R5); 0: off")
    response_base: float = param(0.5, 0.0, 1.0, help="probability a fully reactive municipality takes up an exchange "
                                 "the other side initiates (R6); 1: off (every initiative is taken up)")
    initiator_agenda: float = param(1.0, 0.0, 1.0, help="how far the initiating side sets an own-funded exchange's "
                                    "agenda to its objectives (R6); 0: off (both sides' objectives equally)")
    domestic_motive: float = param(1.0, 0.0, 10.0, help="rise of the Dutch side's initiative and openness per unit "
                                   "the agenda serves its own objectives above a neutral agenda (R1); 0: off")
    support_initial: float = param(0.2, 0.0, 1.0, help="local public and political support for each partnership "
                                   "at the start (R7)")
    support_growth: float = param(0.05, 0.0, 1.0, help="share of missing support gained per month at full "
                                  "involvement of the partnership's migrants (outreach, R7)")
    support_decay: float = param(0.01, 0.0, 1.0, help="share of support lost per month")
    support_activity: float = param(1.0, 0.0, 10.0, help="rise of own-means exchanges at full support (R7); 0: off")
    support_dormancy: float = param(1.0, 0.0, 10.0, help="lengthening of the dormancy a partnership survives, as a "
                                    "share of municipality.dormancy_months, at full support (R7); 0: off")
    support_shield: float = param(0.5, 0.0, 1.0, help="probability that a partnership at full support survives a "
                                  "termination shock (political crisis, R7); 0: off")


@dataclass
class CountryProgrammeConfig:
    """LOGO South's country programmes and critical mass (multilevel network; docs/odd.md 7.15)."""

    min_partnerships: int = param(3, 0, 1000, help="partnerships with a country, each with an exchange within "
                                  "dissemination.active_window months, at which its country programme runs "
                                  "(LOGO South advised three); 0: off")
    peer_contact_rate: float = param(0.1, 0.0, 1.0, help="monthly contact probability, while it runs, among the "
                                     "country's partnered municipalities and with its national association")
    spread_contact_rate: float = param(0.05, 0.0, 1.0, help="monthly contact probability, while it runs, between "
                                       "the country's partnered and unpartnered municipalities")


@dataclass
class TrustConfig:
    """Relational trust on ties (Rule 4; Cowan, Jonard and Zimmermann 2007)."""

    initial: float = param(0.2, 0.0, 1.0, help="trust on new partnership and transnational ties")
    initial_local: float = param(0.5, 0.0, 1.0, help="trust on local and multilevel ties")
    growth: float = param(0.2, 0.0, 1.0, help="share of missing trust gained per interaction")
    decay: float = param(0.02, 0.0, 1.0, help="share of trust lost per month without contact")
    bridge_boost: float = param(1.0, 0.0, 10.0, help="extra growth when a migrant bridges the exchange")
    tacit_exponent: float = param(2.0, 1.0, 10.0, help="tacit transfer scales with trust to this power")


@dataclass
class KnowledgeConfig:
    """Knowledge vectors and transfer (Rule 2; Cowan and Jonard 2004, Cohen and Levinthal 1990)."""

    explicit_rate: float = param(0.3, 0.0, 1.0, help="share of the gap moved per interaction (explicit)")
    tacit_rate: float = param(0.15, 0.0, 1.0, help="share of the gap moved per face-to-face interaction (tacit)")
    absorptive_base: float = param(0.3, 0.0, 1.0, help="absorptive capacity of one who knows nothing of a domain")
    bounded_gap: float = param(1.0, 0.0, 1.0, help="no transfer where the gap exceeds this (Deffuant et al.)")
    monthly_intake: float = param(0.05, 0.0, 1.0, help="most an actor takes in per domain and layer in one month "
                                  "(absorptive capacity per month, R5); 0: no limit")
    forget_rate: float = param(0.02, 0.0, 1.0, help="share of unused individual gains forgotten per month (SKIN)")
    distance_north_south: float = param(0.5, 0.0, 1.0, help="cultural and language distance across North and South")
    distance_within: float = param(0.1, 0.0, 1.0, help="distance within a country")
    openness_other: float = param(0.7, 0.0, 1.0, help="openness of CSOs, migrants and national bodies")
    tacit_ratio: float = param(0.8, 0.0, 1.0, help="starting tacit knowledge as a share of explicit")
    heterogeneity: float = param(0.05, 0.0, 0.5, help="sd of individual variation around starting profiles")
    staff_north: dict = param(_profile(0.6, 0.3, 0.7, 0.7, 0.65, 0.6))
    staff_south: dict = param(_profile(0.15, 0.6, 0.3, 0.3, 0.25, 0.3))
    cso_north: dict = param(_profile(0.5, 0.4, 0.3, 0.3, 0.6, 0.4))
    cso_south: dict = param(_profile(0.2, 0.6, 0.15, 0.2, 0.35, 0.2))
    migrant: dict = param(_profile(0.35, 0.8, 0.25, 0.3, 0.4, 0.25))
    national_north: dict = param(_profile(0.6, 0.3, 0.7, 0.7, 0.65, 0.6),
                                 help="Dutch national bodies: by default the Dutch municipalities' profile")
    national_south: dict = param(_profile(0.15, 0.6, 0.3, 0.3, 0.25, 0.3),
                                 help="southern national bodies: by default the southern municipalities' profile")


@dataclass
class DisseminationConfig:
    """Internal and external dissemination, turnover and adoption (Rules 5, 6, 8; March 1991)."""

    internal_rate: float = param(0.1, 0.0, 1.0, help="share of the gap to participants/memory colleagues close per month")
    institutionalisation_rate: float = param(0.02, 0.0, 1.0, help="rate at which memory takes up what staff know beyond it")
    institution_codify: float = param(1.0, 0.0, 10.0, help="rise of institutionalisation and of what newcomers take "
                                      "from memory in a municipality in recent contact with a knowledge institution "
                                      "(they codify, R2); 0: off")
    turnover_rate: float = param(0.01, 0.0, 1.0, help="probability a staff member leaves per month")
    socialisation: float = param(0.5, 0.0, 1.0, help="share of institutional memory a newcomer picks up")
    external_rate: float = param(1.0, 0.0, 10.0, help="multiplier on local and multilevel contact rates")
    local_contact_rate: float = param(0.3, 0.0, 1.0, help="monthly contact probability on a local tie")
    transnational_contact_rate: float = param(0.1, 0.0, 1.0, help="monthly (remote) contact probability on a transnational tie")
    multilevel_contact_rate: float = param(0.15, 0.0, 1.0, help="monthly contact probability on a multilevel tie")
    remote_contact_rate: float = param(0.05, 0.0, 1.0, help="monthly remote contact probability on a partnership tie")
    adoption_threshold: float = param(0.1, 0.0, 1.0, help="gain in institutional knowledge at which a practice is adopted")
    active_window: int = param(12, 1, 1000, help="a tie with contact within this many months counts as active")


@dataclass
class CSOConfig:
    """Civil-society initiatives (Rule 7; recommendation 4)."""

    start_rate: float = param(0.03, 0.0, 1.0, help="monthly probability an idle CSO starts an initiative")
    migrant_boost: float = param(1.0, 0.0, 100.0, help="extra start rate for migrant organisations with involved migrants")
    transnational_boost: float = param(0.5, 0.0, 100.0, help="extra start rate for CSOs with transnational ties")
    volunteer_decay: float = param(0.05, 0.0, 1.0, help="momentum lost per month as volunteer input dwindles")
    momentum_noise: float = param(0.03, 0.0, 1.0, help="sd of monthly fluctuation of volunteer input")
    support: float = param(0.3, 0.0, 1.0, help="local-government support level (0 none, 0.3 basic, 0.7 strong)")
    support_gain: float = param(0.15, 0.0, 1.0, help="momentum regained per month at full support and trust")
    stall_threshold: float = param(0.2, 0.0, 1.0, help="an initiative below this momentum stalls")
    cooldown: int = param(6, 0, 1000, help="months before a CSO starts again after a stall")
    idle_contact: float = param(0.5, 0.0, 1.0, help="routine contact rate on a CSO's ties while it runs no initiative, "
                                "as a share of the running rate (initiatives carry exchanges, R4); 1: off")
    approval_month: int = param(6, 0, 1000, help="age in months at which an initiative needs the local government's "
                                "formal approval (R4); 0: none needed")
    approval_base: float = param(0.5, 0.0, 1.0, help="probability of approval without any support; it rises to 1 "
                                 "with the support the CSO gets")
    capacity_months: int = param(36, 0, 1000, help="months of volunteer input a CSO can give at the base rate: the "
                                 "momentum lost grows by volunteer_decay x age / capacity_months (R4); 0: off")


@dataclass
class MigrantConfig:
    """Migrants' involvement and roles (recommendation 7)."""

    involvement: float = param(0.1, 0.0, 1.0, help="share of migrants taking part at the start")
    community_involvement: float = param(0.5, 0.0, 1.0, help="share taking part at the start in a partnership "
                                         "with a large community (world.large_communities)")
    outreach: float = param(0.0, 0.0, 1.0, help="monthly probability an uninvolved migrant is drawn in")
    employed_share: float = param(0.1, 0.0, 1.0, help="share of migrants employed by the municipality")
    facilitator: bool = param(True, help="involved migrants join exchanges as facilitators")
    bridge: float = param(0.6, 0.0, 1.0, help="share of cultural/language distance a facilitator removes")
    initiator_boost: float = param(1.0, 0.0, 100.0,
                                   help="added to proactivity in own-initiated exchanges at full migrant involvement")


@dataclass
class ShockConfig:
    """Scheduled shocks (month -1 means never): funding cuts, terminations, support cuts."""

    funding_cut_month: int = param(-1, -1, 100000, help="programme funding is zero from this month on",
                                   dated="on")
    termination_month: int = param(-1, -1, 100000, help="partnerships are terminated at this month",
                                   dated="on")
    terminated_share: float = param(1.0, 0.0, 1.0, help="share of the targeted partnerships the termination ends")
    terminated_country: str = param("any", choices=("any", "morocco", "turkey"),
                                    help="whose partnerships the termination targets")
    support_cut_month: int = param(-1, -1, 100000, help="local support to CSOs is cut from this month on",
                                   dated="on")
    support_cut_factor: float = param(0.0, 0.0, 1.0, help="share of CSO support left after the cut")


@dataclass
class Config:
    """The whole model configuration; one step is one month."""

    name: str = param("default", help="scenario label written into results")
    months: int = param(120, 1, 100000, help="simulated months (one step is one month; month 1 is 2000-01, so a "
                        "date YYYY-MM is the last month simulated)", dated="on")
    replications: int = param(20, 1, 1000000, help="independent replications per configuration")
    seed: int = param(20240601, 0, 2**63 - 1, help="base seed; replication seeds are spawned from it")
    workers: int = param(1, 1, 256, help="processes running replications of one job")
    caused: bool = param(False, help="also run each replication's twin without partnership activity and "
                                     "report the *_caused outcomes (run minus twin; about twice the time)")
    world: WorldConfig = field(default_factory=WorldConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    programme: ProgrammeConfig = field(default_factory=ProgrammeConfig)
    municipality: MunicipalityConfig = field(default_factory=MunicipalityConfig)
    partnership: PartnershipConfig = field(default_factory=PartnershipConfig)
    country_programme: CountryProgrammeConfig = field(default_factory=CountryProgrammeConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    dissemination: DisseminationConfig = field(default_factory=DisseminationConfig)
    cso: CSOConfig = field(default_factory=CSOConfig)
    migrants: MigrantConfig = field(default_factory=MigrantConfig)
    shocks: ShockConfig = field(default_factory=ShockConfig)


SECTIONS: dict[str, Any] = {f.name: f.default_factory for f in dataclasses.fields(Config)
            if f.default_factory is not dataclasses.MISSING}
TOP_LEVEL = tuple(f.name for f in dataclasses.fields(Config) if f.name not in SECTIONS)
DATED = {f"{s}.{f.name}" if s else f.name: f.metadata["dated"]
         for s, cls in [("", None), *SECTIONS.items()]
         for f in dataclasses.fields(cls or Config) if f.metadata.get("dated")}
"""Month parameters that also take a date ``YYYY-MM`` (key -> "on" or "after", see :func:`param`)."""
RUN_KEYS = ("replications", "workers", "name")
"""Keys that do not change what one replication computes."""


@cache  # a run validates every field; dataclasses.fields is not free (one run at a time pays it each time)
def _fields(section: str | None) -> dict[str, dataclasses.Field]:
    cls = Config if section is None else SECTIONS[section]
    return {f.name: f for f in dataclasses.fields(cls)}


def schema_keys() -> list[str]:
    """All dotted parameter keys, e.g. ``trust.initial``."""
    keys = list(TOP_LEVEL)
    for s in SECTIONS:
        keys += [f"{s}.{k}" for k in _fields(s)]
    return keys


@cache
def lookup_field(key: str) -> dataclasses.Field:
    """The schema field of a dotted key, or ConfigError naming what is allowed."""
    parts = key.split(".")
    if len(parts) == 1 and parts[0] in TOP_LEVEL:
        return _fields(None)[parts[0]]
    if len(parts) == 2 and parts[0] in SECTIONS and parts[1] in _fields(parts[0]):
        return _fields(parts[0])[parts[1]]
    if len(parts) == 3 and parts[0] in SECTIONS and parts[1] in _fields(parts[0]) and parts[2] in DOMAINS:
        f = _fields(parts[0])[parts[1]]
        if f.default is dataclasses.MISSING and isinstance(f.default_factory(), dict):  # type: ignore[misc]
            return _DOMAIN_WEIGHT
    close = difflib.get_close_matches(key, schema_keys() + [f"{g}" for g in GROUPS], n=3)
    if len(parts) >= 2 and parts[0] in SECTIONS:
        allowed = ", ".join(_fields(parts[0]))
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise ConfigError(f"unknown parameter '{key}'{hint} (keys in '{parts[0]}': {allowed})")
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise ConfigError(f"unknown parameter '{key}': {hint}(sections: {', '.join(SECTIONS)}; "
                      f"top level: {', '.join(TOP_LEVEL)})")


_DOMAIN_WEIGHT = dataclasses.field(default=0.0, metadata={"lo": 0.0, "hi": 1.0, "choices": None})


def _allowed(f: dataclasses.Field) -> str:
    m = f.metadata
    if m.get("choices"):
        return "one of " + ", ".join(map(str, m["choices"]))
    if m.get("lo") is not None:
        return f"{m['lo']} <= value <= {m['hi']}"
    return "any value of type " + type(f.default).__name__


def check_value(key: str, value: Any, f: dataclasses.Field | None = None) -> Any:
    """Coerce ``value`` to the type of ``key`` and check its range; return it or raise ConfigError."""
    f = f or lookup_field(key)
    m = f.metadata
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    if isinstance(default, dict):
        if not isinstance(value, (dict, DictConfig)):
            raise ConfigError(f"{key}={value!r} is not a mapping: give one value in [0, 1] for each of "
                              f"{', '.join(DOMAINS)}")
        value = dict(value)
        if set(value) != set(DOMAINS):
            missing = sorted(set(DOMAINS) - set(value))
            extra = sorted(set(value) - set(DOMAINS))
            raise ConfigError(f"{key} must name exactly the domains {', '.join(DOMAINS)} "
                              f"(missing: {missing or 'none'}; unknown: {extra or 'none'})")
        for d, v in value.items():
            value[d] = check_value(f"{key}.{d}", v, _DOMAIN_WEIGHT)
        return {d: value[d] for d in DOMAINS}
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # numpy scalars (samplers, np.linspace)
        value = value.item()
    typ = type(default)
    bad = ConfigError(f"{key}={value!r} has the wrong type: expected {typ.__name__} ({_allowed(f)})")
    if typ is bool:
        if isinstance(value, bool):
            out = value
        elif isinstance(value, str) and value.lower() in ("true", "false"):
            out = value.lower() == "true"
        else:
            raise bad
    elif typ is int:
        out = _dated(key, value, f) if m.get("dated") and is_date(value) else _whole(key, value, f, bad)
    elif typ is float:
        if isinstance(value, bool):
            raise bad
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if out != out:  # NaN
            raise bad
    else:
        if not isinstance(value, str):
            raise bad
        out = value
    if m.get("choices") and out not in m["choices"]:
        raise ConfigError(f"{key}={value!r} is not allowed: {_allowed(f)}")
    if m.get("lo") is not None and not (m["lo"] <= out <= m["hi"]):
        raise ConfigError(f"{key}={value!r} is out of range: allowed {_allowed(f)}")
    return out


def _dated(key: str, value: str, f: dataclasses.Field) -> int:
    """The month of a date ``YYYY-MM`` given for a month field (:mod:`c2c_sim.calendar`): the month itself
    (``dated="on"``) or the month before it (``"after"``: the date is the first paid month). A date outside
    the field's dates (before 2000-01, or beyond its range) raises ConfigError naming the allowed dates."""
    shift = 1 if f.metadata["dated"] == "after" else 0
    first, last = max(int(f.metadata["lo"]) + shift, 1), int(f.metadata["hi"]) + shift  # months of allowed dates
    what = " (the first paid month)" if shift else ""
    latest = month_number("9999-12")  # the last date YYYY-MM can write
    allowed = f"allowed dates{what} {label(first)} to {label(last)}" if last <= latest else \
        f"allowed dates{what} from {label(first)} on"
    try:
        month = month_number(value)
    except ValueError as exc:
        raise ConfigError(f"{key}={value!r}: {exc} ({_allowed(f)}, or a date YYYY-MM: {allowed})") from None
    if not first <= month <= last:
        where = "before the calendar (month 1 is 2000-01)" if month < first else "beyond the field's range"
        raise ConfigError(f"{key}={value!r} is a date {where}: {allowed}") from None
    return month - shift


def _whole(key: str, value: Any, f: dataclasses.Field, bad: ConfigError) -> int:
    """An integer field's value: an int, a whole float (``48.0`` is 48, as samplers such as EMA Workbench's
    give them) or a string of either; ``48.5``, a non-number or a float too large to hold it exactly fail."""
    if isinstance(value, bool):
        raise bad
    if isinstance(value, numbers.Integral):
        return int(value)
    x = value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                x = float(value)
            except ValueError:
                if f.metadata.get("dated") and "-" in value.strip()[1:]:  # a date gone wrong, not a number
                    raise ConfigError(f"{key}={value!r} is neither a whole number nor a date YYYY-MM "
                                      f"({_allowed(f)}, or a date from 2000-01 on)") from None
                raise bad from None
    if not isinstance(x, numbers.Real):
        raise bad
    x = float(x)
    if not x.is_integer():
        raise ConfigError(f"{key}={value!r} has the wrong type: expected int, a whole number ({_allowed(f)})")
    if abs(x) > EXACT_FLOAT_INT:
        raise ConfigError(f"{key}={value!r} is a float beyond 2**53, which may have changed its digits: "
                          f"give it as an int ({_allowed(f)})")
    return int(x)


def validate(cfg: Config | DictConfig | dict) -> Config:
    """Check every value of a composed config and its cross-field rules; return a typed Config."""
    if isinstance(cfg, DictConfig):
        plain = OmegaConf.to_container(cfg, resolve=True)
    else:
        plain = cfg if isinstance(cfg, dict) else dataclasses.asdict(cfg)
    extra = sorted(set(plain) - set(TOP_LEVEL) - set(SECTIONS))
    if extra:
        lookup_field(extra[0])  # raises with a suggestion
    values: dict[str, Any] = {}
    for k in TOP_LEVEL:
        if k in plain:
            values[k] = check_value(k, plain[k])
    for s in SECTIONS:
        sec = plain.get(s, {}) or {}
        if not isinstance(sec, dict):
            raise ConfigError(f"{s}={sec!r} must be a mapping of parameters (keys: {', '.join(_fields(s))})")
        for k, _v in sec.items():
            lookup_field(f"{s}.{k}")
        values[s] = SECTIONS[s](**{k: check_value(f"{s}.{k}", v) for k, v in sec.items()})
    out = Config(**values)
    wc = out.world
    if wc.partnerships_morocco + wc.partnerships_turkey + wc.unpartnered_north + wc.unpartnered_south == 0:
        raise ConfigError("the world has no municipality: set world.partnerships_morocco, world.partnerships_turkey, "
                          "world.unpartnered_north or world.unpartnered_south above 0")
    for key in ("objectives_north", "objectives_south"):
        if sum(getattr(out.municipality, key).values()) <= 0:
            raise ConfigError(f"municipality.{key} must have a positive weight in at least one domain")
    return out


def to_dict(cfg: Config) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def flatten(cfg: Config) -> dict[str, Any]:
    """Dotted key -> value for every scalar parameter (domain dicts as ``key.domain``)."""
    out: dict[str, Any] = {}

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            out[prefix] = obj

    walk("", to_dict(cfg))
    return out


@cache
def load_preset(group: str, name: str) -> dict:
    """The values of a preset YAML file ``configs/<group>/<name>.yaml`` (without its defaults list)."""
    path = CONFIG_DIR / group / f"{name}.yaml"
    if group not in ("network", "programme", "scenario") or not path.is_file():
        options = list_presets(group)
        raise ConfigError(f"unknown {group} preset '{name}': allowed {', '.join(options) or 'none'}")
    data = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    assert isinstance(data, dict)
    data.pop("defaults", None)
    return data


def list_presets(group: str) -> list[str]:
    d = CONFIG_DIR / group
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def _set(tree: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for p in parts[:-1]:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{dotted}': '{p}' is not a section")
    node[parts[-1]] = value


def _deep_merge(base: dict, extra: dict) -> dict:
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _deep_merge(base[k], v)
        else:
            base[k] = v
    return base


def unflatten_params(params: dict[str, Any]) -> dict[str, Any]:
    """Map flat keyword names (``trust_initial``) or dotted keys to dotted keys; presets stay as they are."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if "." in key or key in TOP_LEVEL or key in GROUPS:
            out[key] = value
            continue
        for s in sorted(SECTIONS, key=len, reverse=True):
            if key.startswith(s + "_") and key[len(s) + 1:] in _fields(s):
                out[f"{s}.{key[len(s) + 1:]}"] = value
                break
        else:
            flat = [f"{s}_{k}" for s in SECTIONS for k in _fields(s)] + list(TOP_LEVEL)
            close = difflib.get_close_matches(key, flat + list(GROUPS), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ConfigError(f"unknown parameter '{key}'{hint} (flat names are <section>_<field>, "
                              f"sections: {', '.join(SECTIONS)})")
    return out


def make_config(params: dict[str, Any] | None = None, *, base: Config | None = None, **kwargs: Any) -> Config:
    """A validated Config from the defaults, presets and overrides.

    ``params``/``kwargs`` accept flat names (``trust_initial=0.3``), dotted keys
    (``{"trust.initial": 0.3}``) and preset names for the groups ``network``,
    ``programme`` and ``scenario`` (``programme="long_term"``). Presets apply
    first, in the order of ``configs/config.yaml``'s defaults list (network,
    programme, then scenario, as on the command line), explicit values after them.
        ``base`` (default: the default scenario) is the configuration the presets and values change.
    """
    merged = {**(params or {}), **kwargs}
    for alias, group in PRESET_ALIASES.items():
        if alias in merged:
            if group in merged:
                raise ConfigError(f"give {alias} or {group}, not both")
            merged[group] = merged.pop(alias)
    dotted = unflatten_params(merged)
    tree = to_dict(base if base is not None else Config())
    for group in ("network", "programme", "scenario"):
        if group in dotted:
            name = dotted.pop(group)
            if isinstance(name, dict):
                raise ConfigError(f"{group}={name!r}: give a preset name ({', '.join(list_presets(group))}) "
                                  f"or set its keys as {group}_<field>")
            preset = load_preset(group, str(name))
            _deep_merge(tree, preset if group == "scenario" else {group: preset})
    if "experiment" in dotted:
        raise ConfigError("experiment presets run through the CLI (c2c-sim-experiment), not make_config")
    for key, value in dotted.items():
        lookup_field(key)
        if type(value).__module__ == "numpy" and hasattr(value, "item"):  # numpy scalars, e.g. from np.linspace
            value = value.item()
        _set(tree, key, value)
    # OmegaConf only to resolve interpolations (e.g. fixed_total's budget); a plain tree is checked as it is
    return validate(tree if _plain(tree) else OmegaConf.create(tree))


def load_config(path: str | Path) -> Config:
    """The validated Config of a finished run: its folder (``config.yaml`` inside) or a saved YAML file.

    Reads what ``c2c-sim`` saves with each run (``config.yaml``, or Hydra's ``.hydra/config.yaml``), so
    ``c2c_sim.run_replications(load_config(folder))`` reproduces the run bit for bit (with the same
    code: the file's header names the package version and git commit that wrote it)."""
    path = Path(path)
    file = path / "config.yaml" if path.is_dir() else path
    if not file.is_file():
        raise ConfigError(f"no saved configuration at '{path}': give a run folder (with config.yaml) or a YAML file")
    try:
        data = OmegaConf.to_container(OmegaConf.load(file), resolve=True)
    except Exception as exc:  # malformed YAML or an unresolvable interpolation
        raise ConfigError(f"'{file}' is not a readable configuration ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"'{file}' holds no mapping of parameters")
    return validate(data)


def _plain(obj: Any) -> bool:
    """Only dicts of numbers, booleans, None and strings without ``${`` (nothing for OmegaConf to resolve)."""
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in obj.items())
    if isinstance(obj, str):
        return "${" not in obj
    return obj is None or isinstance(obj, (bool, int, float))


def register_configs() -> None:
    """Store the schema in Hydra's ConfigStore as ``base_config`` (the root of configs/config.yaml)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="base_config", node=Config)


def counterfactual(cfg: Config) -> Config:
    """The twin of ``cfg`` for the caused outcomes: the same world and seeds, no partnership activity.

    No programme money, no exchanges from the municipalities' own means, and no routine contacts on the
    ties that need a partnership (staff pairs, CSO pairs). Everything else runs as in ``cfg``: the same
    world (nothing here enters its construction) and, month by month, the same draws (a replication's
    row of numbers has the same length whatever the rates), so the difference run minus twin is what
    the partnership caused."""
    return dataclasses.replace(
        cfg, caused=False,
        programme=dataclasses.replace(cfg.programme, budget_per_year=0.0),
        municipality=dataclasses.replace(cfg.municipality, own_activity_rate=0.0),
        network=dataclasses.replace(cfg.network, partnership_contacts=False))


def budget_per_year_for_total(total: float, duration: int, pattern: str = "continuous", burst_on: int = 3,
                              burst_off: int = 9, start: int = 0) -> float:
    """The ``budget_per_year`` that pays ``total`` k EUR over a programme's paid months.

    For equal-total-budget designs (R5: the same money spent in a short, a long
    or a piecemeal programme). Paid months are counted with the model's own rule
    (:func:`c2c_sim.rules.programme_budget`, months 1..start+duration), so the
    money actually paid is ``total`` whatever the duration or pattern. In YAML:
    ``budget_per_year: ${c2c.per_year:240,${.duration},${.pattern},${.burst_on},${.burst_off},${.start}}``.
    """
    from .rules import programme_budget  # the rules' own count of paid months (rules imports this module)
    from .state import params_from_config

    prog = ProgrammeConfig(budget_per_year=12.0, start=int(start), duration=int(duration), pattern=str(pattern),
                           burst_on=int(burst_on), burst_off=int(burst_off))
    prm = params_from_config(Config(programme=prog))
    paid = sum(programme_budget(prm, t) for t in range(1, int(start) + int(duration) + 1))
    return float(total) * 12.0 / paid if paid > 0 else 0.0


def register_resolvers() -> None:
    """OmegaConf resolvers usable in configs: ``c2c.per_year`` (see :func:`budget_per_year_for_total`),
    ``c2c.month`` (``${c2c.month:2011-01}`` is 133, :func:`c2c_sim.calendar.resolve_month`) and, for the
    ``dated="after"`` fields ``programme.start`` and ``programme.successor_start``, ``c2c.paid_from``
    (``${c2c.paid_from:2012-01}`` is 144: the date is the first paid month, as on the command line)."""
    if not OmegaConf.has_resolver("c2c.per_year"):
        OmegaConf.register_new_resolver("c2c.per_year", budget_per_year_for_total)
    if not OmegaConf.has_resolver("c2c.month"):
        OmegaConf.register_new_resolver("c2c.month", resolve_month)
    if not OmegaConf.has_resolver("c2c.paid_from"):
        OmegaConf.register_new_resolver("c2c.paid_from", resolve_paid_from)


register_resolvers()
