"""The expert registry: experts, cases and policy, conflict-aware matching, scores and
the evaluation log."""
