"""Enterprise fact files: who the enterprise is, and what the inspectors found.

::

    enterprise:
      id: LY-DUST-007
      name: 临沂某木业有限公司
      county: 兰山区
      region: "371302"          # GB/T 2260: provincial law is cited only inside its province
      industries: [dust]
      inspected_on: 2017-09-05
    facts:
      dust_explosion_hazard: true
      dust_zone20_electrics_explosion_proof: false

A fact left out, or given as ``null``, is unknown. Facts are checked against the
rulebook's fact catalog when the file is loaded; the result is an
:class:`Enterprise` whose ``facts`` the engine can trust.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, Field

MAX_ENTERPRISE_BYTES = 8 * 1024 * 1024


class EnterpriseHeader(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    id: str = Field(min_length=1)
    name: str | None = None
    county: str | None = Field(default=None, description="县区")
    region: str | None = Field(default=None, pattern=r"^[1-9][0-9]{5}$",
                               description="GB/T 2260 行政区划代码 (6 digits, e.g. 371302 兰山区)")
    industries: list[str] = Field(default_factory=list)
    inspected_on: dt.date | None = Field(default=None, description="default as-of date")


class EnterpriseFile(BaseModel):
    # validators are built on first use, not on import: `import safety_rules` stays quick
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    enterprise: EnterpriseHeader
    facts: dict[str, Any] = Field(default_factory=dict)


class CheckedFacts(dict[str, Any]):
    """Fact values that passed the catalog check of one particular rulebook.

    Read-only: findings explain themselves lazily from these values, so they must not
    change after the assessment.
    """

    catalog_token: object = None

    def _readonly(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("checked facts are read-only; check a new mapping instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly
    __ior__ = _readonly


@dataclass(frozen=True)
class Enterprise:
    id: str
    facts: Mapping[str, Any]
    name: str | None = None
    county: str | None = None
    region: str | None = None
    industries: tuple[str, ...] = ()
    inspected_on: dt.date | None = None
    path: Path | None = field(default=None, compare=False)
