"""The committed dossier sample is what its generator makes from the current rulebook."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from ..conftest import EXAMPLES

SAMPLE = EXAMPLES / "dossier"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dossier_sample_generator", SAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_sample_is_current() -> None:
    # A rule change that moves the sample's findings must come with the regenerated sample
    # (python examples/dossier/generate.py), or the README's figures and the report drift from it.
    text, evidence = _generator().build()
    assert text == (SAMPLE / "campaigns.jsonl").read_text(encoding="utf-8"), "run python examples/dossier/generate.py"
    committed = {p.name: p.read_bytes() for p in (SAMPLE / "evidence").iterdir()}
    assert committed == evidence, "run python examples/dossier/generate.py"
