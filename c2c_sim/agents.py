"""Mesa agents: the actors of a C2C partnership, as identities over the model's arrays.

An agent holds its row (or municipality index) and shows its state as views
into ``model.world``; it owns no copy of knowledge or trust. Decisions that the
field describes per actor (who travels, whether an initiative starts) are made
by the compiled rule functions in :mod:`c2c_sim.rules`, which loop over the
arrays, so a model of 100,000 actors steps at compiled speed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from .config import DOMAINS
from .world import Country, Kind

if TYPE_CHECKING:
    from .model import C2CModel


class Actor(mesa.Agent):
    """An actor with a row in the knowledge arrays."""

    kind: Kind
    model: C2CModel

    def __init__(self, model: C2CModel, row: int) -> None:
        super().__init__(model)
        self.row = int(row)

    @property
    def knowledge(self) -> np.ndarray:
        """Explicit knowledge over :data:`~c2c_sim.config.DOMAINS` (a view into the model's array)."""
        return self.model.world.explicit[self.row]

    @property
    def tacit(self) -> np.ndarray:
        """Tacit knowledge over the domains (a view)."""
        return self.model.world.tacit[self.row]

    @property
    def country(self) -> Country:
        return Country(int(self.model.world.country[self.row]))

    @property
    def participated(self) -> bool:
        """Took part in a partnership exchange (since joining)."""
        return bool(self.model.world.participated[self.row])

    def knowledge_by_domain(self) -> dict[str, float]:
        return dict(zip(DOMAINS, self.knowledge.tolist()))


class LocalGovernment(mesa.Agent):
    """A municipality: its staff (who travel and learn), institutional memory, openness, proactivity, objectives."""

    model: C2CModel

    def __init__(self, model: C2CModel, municipality: int) -> None:
        super().__init__(model)
        self.municipality = int(municipality)

    @property
    def country(self) -> Country:
        return Country(int(self.model.world.muni_country[self.municipality]))

    @property
    def partnership(self) -> int:
        """Index of the partnership it belongs to, -1 if none."""
        return int(self.model.world.muni_partnership[self.municipality])

    @property
    def staff_rows(self) -> slice:
        return self.model.world.staff_block(self.municipality)

    @property
    def staff_knowledge(self) -> np.ndarray:
        """(S, D) explicit knowledge of its staff (a view)."""
        return self.model.world.explicit[self.staff_rows]

    @property
    def memory(self) -> np.ndarray:
        """Institutional memory over the domains (a view)."""
        return self.model.world.memory[self.municipality]

    @property
    def openness(self) -> float:
        return float(self.model.world.openness[self.staff_rows.start])

    @property
    def proactivity(self) -> float:
        return float(self.model.world.proactivity[self.municipality])

    @property
    def objectives(self) -> np.ndarray:
        return self.model.world.objectives[self.municipality]

    @property
    def adopted_practices(self) -> list[str]:
        """Domains where it adopted a practice during the run."""
        months = self.model.world.adoption_month[self.municipality]
        return [d for d, m in zip(DOMAINS, months) if m >= 0]


class CSO(Actor):
    """A civil-society organisation; some are migrant organisations. Runs initiatives."""

    kind = Kind.CSO

    @property
    def is_migrant_organisation(self) -> bool:
        return bool(self.model.world.migrant_org[self.row])

    @property
    def initiative_active(self) -> bool:
        w = self.model.world
        return bool(w.initiative_start[self.row - w.cso_start] >= 0)

    @property
    def momentum(self) -> float:
        w = self.model.world
        return float(w.momentum[self.row - w.cso_start])


class Migrant(Actor):
    """A migrant in a Dutch city with ties to the partner city of origin."""

    kind = Kind.MIGRANT

    @property
    def involved(self) -> bool:
        return bool(self.model.world.involved[self.row])

    @property
    def employed_by_municipality(self) -> bool:
        return bool(self.model.world.employed[self.row])

    @property
    def roles(self) -> list[str]:
        """Roles the migrant can play now (R7): initiator, facilitator, contributor."""
        if not self.involved:
            return []
        roles = ["initiator", "contributor"]
        if self.model.config.migrants.facilitator:
            roles.insert(1, "facilitator")
        return roles


class HigherGovernment(Actor):
    """A national association or ministry (multilevel network)."""

    kind = Kind.HIGHER_GOVERNMENT


class KnowledgeInstitution(Actor):
    """A university or training institute that institutionalises knowledge (R2)."""

    kind = Kind.KNOWLEDGE_INSTITUTION
