"""The ``fasttag`` command.

- ``fasttag demo``: generate tagged music, train and evaluate a small FCN, tag a file;
- ``fasttag generate --out DIR``: a collection of synthetic tagged music clips;
- ``fasttag train --data DATA --model fcn5|fcn4|crnn|lstm|mlp-bof --out RUN``: train a tagger;
- ``fasttag evaluate RUN --data DATA``: ROC-AUC / PR-AUC per tag on a split;
- ``fasttag tag FILE... --model RUN``: tag audio files;
- ``fasttag extract INPUT --out STORE``: features of a whole collection into a resumable store;
- ``fasttag experiment study --data DATA --out DIR``: the study's taggers (and an FCN-5 with a key head) in a table;
- ``fasttag show FILE --feature logmel|mfcc|chroma|tempogram --out PNG``: draw a feature.

Each command lives in its own module of `fasttag.commands`.
"""

from __future__ import annotations

import sys
import warnings

from fasttag.commands import demo, evaluate, experiment, extract, generate, show, tag, train
from fasttag.commands._args import Parser, UsageError
from fasttag.errors import FasttagError

#: Subcommand name -> its module (``add_parser`` and ``run``), in help order.
COMMANDS = {"demo": demo, "generate": generate, "train": train, "evaluate": evaluate, "tag": tag, "extract": extract,
            "experiment": experiment, "show": show}


def _parser() -> Parser:
    parser = Parser(prog="fasttag", description="Fast music auto-tagging.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS.values():
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``fasttag`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 on bad arguments or input (reported in one line on
        stderr, without a traceback), 130 when interrupted (Ctrl-C).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # a command shows its warnings, whatever the process's filters
        warnings.showwarning = _print_warning
        try:
            args = _parser().parse_args(argv)
            COMMANDS[args.command].run(args)
        except (UsageError, FasttagError, OSError) as exc:
            print(f"fasttag: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("fasttag: interrupted (an extract run goes on where it stopped when run again)", file=sys.stderr)
            return 130
    return 0


def _one_line(message) -> str:
    return " ".join(str(message).split())


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings during a command, one line each, without the source line."""
    print(f"fasttag: warning: {_one_line(message)}", file=sys.stderr if file is None else file)
