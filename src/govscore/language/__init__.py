"""The scheme language: the positioned YAML reader, the models, formulas, the JSON Schema and the
reference docs generated from the models. Imports nothing above it."""
