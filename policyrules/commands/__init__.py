"""The CLI's commands, one module each. Each module has ``register(subparsers)``, which adds
its parser and sets ``func(args, out) -> exit code``. Listed in help order."""

COMMANDS = ("evaluate", "when", "run", "check", "diff", "readings", "sweep", "timeline", "catalog", "atlas",
            "schema", "completion")
