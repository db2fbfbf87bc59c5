"""Patch plans: the model, its readers (YAML, JSON, CSV), JSON Schema, rules, preview, quick fill and templates."""
