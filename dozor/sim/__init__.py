"""`dozor sim`: simulated boxes for load tests, fault tests and the scale benchmark (docs/scale.md)."""
