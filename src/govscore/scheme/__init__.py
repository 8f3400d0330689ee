"""Loading a scheme file: read, build the models, run the semantic checks (positions on every
diagnostic). Builds on the language."""
