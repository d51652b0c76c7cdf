"""What each use of the package imports: rules-only use stays clear of the expert registry's
database, solver and graph libraries (each takes longer to import than assessing a thousand enterprises)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from .conftest import EXAMPLES, RULES

HEAVY = ("sqlalchemy", "networkx", "alembic", "psycopg", "ortools", "numpy", "icalendar", "openpyxl", "polars",
         "pyarrow", "typer", "rich")


def _heavy_after(code: str) -> list[str]:
    """The heavy top-level modules a fresh interpreter has imported after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_safety_rules_imports_no_heavy_module() -> None:
    assert _heavy_after("import safety_rules") == []


def test_load_and_assess_import_no_heavy_module() -> None:
    assert _heavy_after(f"""
        import datetime as dt
        from safety_rules import Rulebook
        book = Rulebook.load({str(RULES)!r})
        for path in sorted(__import__("pathlib").Path({str(EXAMPLES / "enterprises")!r}).glob("*.yaml")):
            result = book.assess(book.load_enterprise(path), dt.date(2024, 6, 1))
            result.model_dump_json()
        book.compile_all()
    """) == []


def test_cli_assess_imports_no_database_solver_or_graph_library() -> None:
    heavy = _heavy_after(f"""
        import contextlib, io, sys
        sys.argv = ["safety-rules", "assess", {str(EXAMPLES / "enterprises" / "linyi-wood-products.yaml")!r},
                    "--format", "json"]
        from safety_rules.cli._app import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
            except SystemExit as exc:
                assert not exc.code, exc.code
    """)
    assert heavy == ["rich", "typer"]


def test_expert_and_planner_names_are_there_when_asked_for() -> None:
    assert {"openpyxl", "ortools", "sqlalchemy"} <= set(_heavy_after("""
        import safety_rules
        assert callable(safety_rules.match) and safety_rules.EvaluationLog.__name__ == "EvaluationLog"
        assert safety_rules.EventStore.__name__ == "EventStore" and "match" in dir(safety_rules)
        assert callable(safety_rules.plan_campaign) and safety_rules.RegistryLog.__name__ == "RegistryLog"
        assert callable(safety_rules.checklist_workbook) and safety_rules.Checklist.__name__ == "Checklist"
    """))


def test_cli_commands_outside_the_rules_commands_are_added_when_asked_for() -> None:
    for command in ("plan", "experts", "checklist"):
        heavy = _heavy_after(f"""
            import contextlib, io, sys
            sys.argv = ["safety-rules", {command!r}, "--help"]
            from safety_rules.cli._app import main
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    main()
                except SystemExit as exc:
                    assert not exc.code, exc.code
        """)
        assert {"ortools", "sqlalchemy"} <= set(heavy), command
