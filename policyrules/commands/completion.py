"""``policyrules completion bash|zsh``: a shell completion script, written from the parser itself
(commands, their options, the values of options and arguments with fixed choices, directories for
``--rules``): nothing to install but the script. zsh uses its bash completion layer (bashcompinit)."""

from __future__ import annotations

import argparse
import shlex
from typing import TextIO

from ._common import EXIT_OK, add_common, subparser

SHELLS = ("bash", "zsh")
# Options whose value is a directory, and those whose value is a file.
_DIRS = ("--rules", "--sources")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(sub, "completion", "print a shell completion script (bash or zsh)", [
        "source <(policyrules completion bash)    # in ~/.bashrc",
        "source <(policyrules completion zsh)     # in ~/.zshrc",
        "policyrules completion bash > /etc/bash_completion.d/policyrules",
    ])
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash or zsh")
    add_common(p, backend=False, readings=False)
    p.set_defaults(func=run, subparsers=sub)


def run(args: argparse.Namespace, out: TextIO) -> int:
    script = bash_script(args.subparsers)
    if args.shell == "zsh":
        script = ("# zsh completion for policyrules: source <(policyrules completion zsh)\n"
                  "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script)
    out.write(script)
    return EXIT_OK


def _words(words: list[str]) -> str:
    return shlex.quote(" ".join(words))


def bash_script(sub: argparse._SubParsersAction) -> str:  # type: ignore[type-arg]
    """The bash completion function for every command ``sub`` holds."""
    commands = list(sub.choices)
    per_command: list[str] = []
    values: list[str] = []
    for name, parser in sub.choices.items():
        opts: list[str] = ["--help"]
        positional: list[str] = []
        for action in parser._actions:  # noqa: SLF001 - argparse keeps its actions there
            if action.option_strings:
                opts += [o for o in action.option_strings if o.startswith("--")]
                if action.choices is not None:
                    values.append(f"        {name}:{action.option_strings[-1]}) "
                                  f"COMPREPLY=($(compgen -W {_words([str(c) for c in action.choices])} "
                                  '-- "$cur")); return;;')
            elif action.choices is not None:
                positional += [str(c) for c in action.choices]
        per_command.append(f"        {name}) opts={_words(opts)}; args={_words(positional)};;")
    dirs = "|".join(f"*:{o}" for o in _DIRS)
    return "\n".join([
        "# bash completion for policyrules: source <(policyrules completion bash)",
        "_policyrules() {",
        '    local cur prev cmd opts="" args=""',
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    cmd="${COMP_WORDS[1]}"',
        '    if [ "$COMP_CWORD" -eq 1 ]; then',
        f'        COMPREPLY=($(compgen -W {_words([*commands, "--help", "--version"])} -- "$cur")); return',
        "    fi",
        '    case "$cmd:$prev" in',
        f'        {dirs}) COMPREPLY=($(compgen -d -- "$cur")); return;;',
        *values,
        "    esac",
        '    case "$cmd" in',
        *per_command,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        '    elif [ -n "$args" ]; then',
        '        COMPREPLY=($(compgen -W "$args" -- "$cur") $(compgen -f -- "$cur"))',
        "    else",
        '        COMPREPLY=($(compgen -f -- "$cur"))',
        "    fi",
        "}",
        "complete -o filenames -F _policyrules policyrules",
        "",
    ])
