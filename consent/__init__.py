"""Consent: the family's say in what is shared. Model, age and representation rules, registry."""
