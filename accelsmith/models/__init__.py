"""Analytical cost models: pure numpy, vectorized over configurations and layers."""
