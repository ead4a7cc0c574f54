"""The optional C hot path (``_policyrules_speedups``): built where a C compiler is found; where it is
not, the install goes on and policyrules runs its Python hot path (same verdicts, slower)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("_policyrules_speedups", ["src/_policyrules_speedups.c"], optional=True)])
