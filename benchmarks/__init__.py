"""Benchmarks for policyrules (issue 6). Run ``python -m benchmarks --help``.

Not part of the library: nothing here is imported by ``policyrules`` or its tests.
"""
