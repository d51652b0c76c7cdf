"""``python -m safety_rules``: the same command line as ``safety-rules``."""

from .cli._app import main

main()
