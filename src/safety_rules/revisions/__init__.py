"""Reviewing rule revisions: what a revision changes in meaning (diff with witnesses) and in
outcomes (impact on a corpus), how well examples pin each condition (condition coverage and
mutants), and the gate that makes a revision that changes outcomes say so."""
