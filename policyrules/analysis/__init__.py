"""Analysis (layer 6): the exact partition of the strike space and what is computed over it: check,
diff, why-not, partial evaluation, sweep, timeline. Takes a resolved pack, never an engine."""
