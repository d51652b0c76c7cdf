"""The build step that puts the rulebook and the expert registry into the wheel.

``rules/`` and ``experts/`` live at the top of the repository, where the standards team edits
them. A wheel must carry them (``Rulebook.load()`` with no path reads the package's copy), but
not through symlinks in the package: Git for Windows checks symlinks out as small text files
and the wheel would silently lose the rulebook. So ``build_py`` copies both directories into
``safety_rules/_data/`` of the build; an editable install copies nothing and the package reads
the repository's directories. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA = ("rules", "experts")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in DATA:
            source = ROOT / name
            if not (source.is_dir() and any(source.iterdir())):
                raise SystemExit(f"cannot build: {source} is missing or empty (the wheel must carry it)")
            target = Path(self.build_lib) / "safety_rules" / "_data" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, symlinks=False,
                            ignore=shutil.ignore_patterns(".*", "__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
