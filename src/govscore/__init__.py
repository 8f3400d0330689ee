"""govscore: exact, explainable scoring of government assessment schemes."""
