"""A wheel built from a checkout without symlinks (as Git for Windows makes one) carries the
rulebook and the expert registry, and the installed package reads them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "src", "rules", "experts")


def test_the_package_has_no_symlinks() -> None:
    links = [str(p.relative_to(ROOT)) for p in (ROOT / "src").rglob("*") if p.is_symlink()]
    assert links == []


def test_a_wheel_built_without_symlinks_carries_the_rulebook(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, checkout / name, symlinks=False,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "_data"))
        else:
            shutil.copy(source, checkout / name)
    assert not any(p.is_symlink() for p in checkout.rglob("*"))
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(out), str(checkout)], check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("safety_rules-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "rules").rglob("*.yaml"))
    assert all(f"safety_rules/_data/{name}" in names for name in rule_files)
    assert "safety_rules/_data/experts/experts.yaml" in names
    assert any(n.endswith("LICENSE") for n in names)
    # installed from the wheel alone (no repository beside it), the package reads its own copy
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    probe = ("from safety_rules import Rulebook; from safety_rules.engine._rulebook import default_rules_path; "
             "print(default_rules_path()); print(len(Rulebook.load().rule_ids))")
    env = {**os.environ, "PYTHONPATH": str(installed)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True,
                          check=True, timeout=120)
    where, count = done.stdout.split()
    assert Path(where) == installed / "safety_rules" / "_data" / "rules"
    assert int(count) == len([p for p in rule_files if p.count("/") == 2 and not p.startswith(
        ("rules/facts/", "rules/law/", "rules/tables/"))])
