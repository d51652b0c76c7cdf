"""Field work: planning an inspection campaign (teams, days, counties, escorts, recusal),
checking a hand-made plan against the same rules, and the plan as a calendar."""
