"""Scoring: the plan (a scheme lowered once), fact checking, the interpreter, the generated
kernels, the population phase and the result types. Builds on the scheme layer; never reads files
and never renders."""
