"""Facts from files: YAML/JSON readers, CSV/TSV/Excel tables and the fill-in templates."""
