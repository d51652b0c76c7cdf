"""The rule engine: fact catalog, condition language, compiled and reference
evaluators, rulebook loading and checking, assessments."""
