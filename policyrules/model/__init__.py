"""The vocabulary and the inputs (layer 1, the bottom): enums, the catalog, the dimensions of
the strike space, the strike and how one comes in, sources, errors. Imports nothing of the package above it."""
