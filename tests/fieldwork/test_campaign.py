"""Campaign files: the sample loads, the demand and the draw, and each bad file is a path:line error."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from safety_rules import SchemaError, load_campaign
from safety_rules.fieldwork._campaign import Campaign, CampaignFile, Officer
from safety_rules.shared._validation import load_model

from ..conftest import FIXTURES
from .conftest import SAMPLE

INDUSTRIES = {"mining", "hazchem", "metallurgy", "dust", "ammonia"}
BAD = FIXTURES / "broken_campaigns"


def test_sample_has_the_seed_campaigns_size(sample: Campaign) -> None:
    assert len(sample.teams) == 5 and len(sample.days) == 10
    assert len(sample.counties) == 12
    assert 45 <= len(sample.demand) <= 55
    assert {sample.enterprise[e].county for e in sample.demand} == set(sample.counties)


def test_enterprises_at_their_annual_cap_are_left_out_with_the_reason(sample: Campaign) -> None:
    left = {x.enterprise: x for x in sample.left_out}
    assert set(left) == {"LY-DUST-008", "LY-HC-026", "LY-HC-032"}
    assert left["LY-HC-026"].rule == "annual-cap"
    assert "本年已检查 2 次，年度上限 2 次" in left["LY-HC-026"].reason  # the enterprise's own cap, not the default
    assert not set(left) & set(sample.demand)


def test_priorities_are_always_in_the_demand(sample: Campaign) -> None:
    priority = [e.id for e in sample.file.enterprises if sample.is_priority(e) and not sample.over_cap(e)]
    assert priority and set(priority) <= set(sample.demand)
    assert sample.overdue(sample.enterprise["LY-MET-003"])  # due 2017-08-31, before the campaign
    assert sample.deadline(sample.enterprise["LY-MET-003"]) is None
    assert str(sample.deadline(sample.enterprise["LY-HC-021"])) == "2017-09-06"


def test_draw_is_reproducible_from_the_published_seed(sample: Campaign) -> None:
    """Anyone can redo the draw: per specialty in name order, the lowest sha256('seed|specialty|id')
    among enterprises of that specialty not yet chosen, not at their cap and not priorities."""
    draw = sample.file.draw
    assert draw is not None and sample.draws is not None
    chosen = {e.id for e in sample.file.enterprises if sample.is_priority(e) and not sample.over_cap(e)}
    for specialty, result in zip(sorted(draw.per_specialty), sample.draws, strict=True):
        pool = sorted(e.id for e in sample.file.enterprises
                      if specialty in e.industries and e.id not in chosen and not sample.over_cap(e))
        ranked = sorted(pool, key=lambda i: hashlib.sha256(f"{draw.seed}|{specialty}|{i}".encode()).hexdigest())
        expected = ranked[:draw.per_specialty[specialty]]
        assert [d.enterprise for d in result.drawn] == expected
        assert result.population == len(pool)
        chosen.update(expected)
    assert set(sample.demand) == chosen


def test_another_seed_draws_others() -> None:
    file, _ = load_model(CampaignFile, SAMPLE)
    assert file.draw is not None
    other = Campaign(file.model_copy(update={"draw": file.draw.model_copy(update={"seed": "另一个种子"})}))
    assert other.demand != load_campaign(SAMPLE).demand


def test_travel_is_symmetric(sample: Campaign) -> None:
    assert sample.minutes("兰山区", "费县") == sample.minutes("费县", "兰山区") > 0
    assert sample.minutes("费县", "费县") == 0


@pytest.mark.parametrize(("name", "words", "line"), [
    ("unknown_key.yaml", ["unknown key 'absnet'", "did you mean 'absent'"], 10),
    ("unknown_industry.yaml", ["unknown industry 'dusty'", "did you mean 'dust'"], 7),
    ("unknown_county.yaml", ["ENT-1: county '兰山' is not a campaign county", "did you mean '兰山区'"], 22),
    ("duplicate_id.yaml", ["person id 'O2' is used twice (first at teams.0.officers.1.id)"], 15),
    ("unknown_person.yaml", ["unknown officer or 陪检人员 'O-1'", "did you mean 'O1'"], 24),
    ("certified_without_certificate.yaml", ["officer 'O2' is certified but has no certificate number"], 10),
    ("missing_travel.yaml", ["no travel time for 兰山区 <-> 费县"], 19),
    ("no_annual_cap.yaml", ["ENT-1: no annual cap: give annual_cap or annual_caps.default"], 22),
    ("two_years.yaml", ["campaign days span two years"], 3),
    ("unknown_draw_specialty.yaml", ["unknown industry 'dusts'", "did you mean 'dust'"], 25),
])
def test_bad_campaign_file(name: str, words: list[str], line: int) -> None:
    with pytest.raises(SchemaError) as info:
        load_campaign(BAD / name, industries=INDUSTRIES)
    message = str(info.value)
    assert message.startswith(f"{BAD / name}:{line}:"), message
    for w in words:
        assert w in message, message


@pytest.mark.parametrize("bad", ["LY-HC-021\n", "a b", "", "-x"])
def test_ids_are_checked_whole(bad: str) -> None:
    assert Officer.model_validate({"id": "H1", "name": "甲", "certified": False}).id == "H1"
    with pytest.raises(ValidationError):
        Officer.model_validate({"id": bad, "name": "甲", "certified": False})


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    text = (BAD / "unknown_county.yaml").read_text(encoding="utf-8").replace("{person: O1,", "{person: O9,")
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_campaign(path)
    assert [p.line for p in info.value.context["problems"]] == [22, 24]
