"""Bit-exact numpy reference models, one per family, written from the specification."""
