"""Field work: planning an inspection campaign (teams, days, counties, escorts, recusal),
checking a hand-made plan against the same rules, and the plan as a calendar; the inspector's
checklist of the rules in force (workbook, printable page, Markdown, blank enterprise file)
and a filled workbook read back."""
