"""Deciding (layer 5): the combining rule, verdicts, per-rule-set deciders, the evaluator and
columnar evaluation."""
