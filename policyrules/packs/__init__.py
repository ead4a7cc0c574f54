"""Rule packs (layer 3): strict YAML, the rule-file format, the loader and the loaded pack, and the
pack with its parameters resolved."""
