"""The condition language (layer 2): comparisons over named fields, and numeric intervals. Knows
nothing of strikes or rule files."""
