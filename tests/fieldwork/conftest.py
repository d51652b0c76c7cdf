"""The sample campaign and its plan, solved once for every field-work test."""

from __future__ import annotations

import pytest

from safety_rules import Plan, load_campaign, plan_campaign
from safety_rules.fieldwork._campaign import Campaign

from ..conftest import EXAMPLES

SAMPLE = EXAMPLES / "campaigns" / "linyi-2017-09.yaml"


@pytest.fixture(scope="session")
def sample() -> Campaign:
    return load_campaign(SAMPLE, industries={"mining", "hazchem", "metallurgy", "dust", "ammonia"})


@pytest.fixture(scope="session")
def sample_plan(sample: Campaign) -> Plan:
    return plan_campaign(sample)
