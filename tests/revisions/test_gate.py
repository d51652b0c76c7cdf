"""The gate: CI fails a revision that changes outcomes without a version bump and a changelog
entry naming its change ids (two real git revisions)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from safety_rules.revisions._diff import RevisionDiff
from safety_rules.revisions._gate import changelog_section, version_key

from ..conftest import RULES, run_cli
from .conftest import SLOPE, edit, raise_threshold


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=CI", "-c", "user.email=ci@example.invalid", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rule repository with one commit of the bundled rules and no changelog yet, as the working directory."""
    root = tmp_path / "rule-repo"
    shutil.copytree(RULES, root / "rules")
    (root / "rules" / "CHANGELOG.md").unlink(missing_ok=True)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    monkeypatch.chdir(root)
    return root


def test_a_revision_with_impact_but_no_version_bump_fails(repo: Path) -> None:
    raise_threshold(repo / "rules")
    _git(repo, "commit", "-q", "-am", "pit slopes: over 200 m only")
    code, out, err = run_cli("check", "--base", "HEAD~1")
    assert code == 1
    assert "[SR606]" in out and "not above the base's" in out
    assert "[SR607]" in out and "no CHANGELOG.md" in out
    # the diff says what to write; with it (and a bumped version) the gate passes
    code, out, _ = run_cli("diff", "HEAD~1", "-f", "json")
    diff = RevisionDiff.model_validate_json(out)
    (change,) = diff.changes
    old_version = diff.base.rulebook_version
    code, out, _ = run_cli("diff", "HEAD~1", "-f", "changelog")
    assert out.startswith(f"## {old_version}\n") and f"提高到 {old_version} 以上" in out and change.id in out
    rulebook = repo / "rules" / "rulebook.yaml"
    text = rulebook.read_text(encoding="utf-8")
    rulebook.write_text(text.replace(f"version: {old_version}", f"version: {old_version}.1"), encoding="utf-8")
    code, out, _ = run_cli("diff", "HEAD~1", "-f", "changelog")
    assert out.startswith(f"## {old_version}.1\n") and "<!--" not in out
    (repo / "rules" / "CHANGELOG.md").write_text(f"# 修订记录\n\n{out}", encoding="utf-8")
    code, out, err = run_cli("check", "--base", "HEAD~1")
    assert code == 0, out + err
    assert out.strip().splitlines()[-1].startswith("ok: ")


def test_a_changelog_that_misses_an_id_fails(repo: Path) -> None:
    raise_threshold(repo / "rules")
    rulebook = repo / "rules" / "rulebook.yaml"
    text = rulebook.read_text(encoding="utf-8")
    old = re.search(r"^version: (\S+)$", text, re.M)
    assert old is not None
    rulebook.write_text(text.replace(old[0], f"version: {old[1]}.1"), encoding="utf-8")
    (repo / "rules" / "CHANGELOG.md").write_text(f"## {old[1]}.1\n\n- 未列编号\n\n## {old[1]}\n", encoding="utf-8")
    code, out, _ = run_cli("check", "--base", "main", "-f", "json")
    data = json.loads(out)
    assert code == 1 and [p["code"] for p in data["problems"]] == ["SR607"]
    assert "does not name c" in data["problems"][0]["message"]


def test_wording_alone_needs_no_bump(repo: Path) -> None:
    edit(repo / "rules", SLOPE, "建设边坡（排土场）在线监测系统", "建设在线监测系统")
    code, out, err = run_cli("check", "--base", "main")
    assert code == 0, out + err


def test_an_unknown_base_fails_the_check(repo: Path) -> None:
    code, out, _ = run_cli("check", "--base", "no-such-revision")
    assert code == 1 and "[SR608]" in out and "neither a directory nor a revision git knows" in out


def test_versions_compare_number_by_number() -> None:
    assert version_key("2026.11.10") > version_key("2026.11.9") > version_key("2026.11")
    assert changelog_section("# log\n## 1.2\n- a\n## 1.1\n- b\n", "1.2") == "\n- a\n"
    assert changelog_section("## [1.2] - 2026-01-01\n- a\n", "1.2") == "\n- a\n"
    assert changelog_section("## 1.1\n", "1.2") is None
