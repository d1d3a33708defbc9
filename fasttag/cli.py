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

import importlib
import os
import sys
import warnings

from fasttag.commands._args import Parser, UsageError
from fasttag.errors import FasttagError

#: Subcommand -> its one-line help, in help order. Each lives in ``fasttag.commands.<name>`` (``add_parser``
#: and ``run``), imported only when it is the command given: help and the light commands skip torch.
COMMANDS = {
    "demo": "generate tagged music, train an FCN on log-mel features, evaluate and tag",
    "generate": "write a collection of synthetic tagged music clips",
    "train": "train a tagger on a labelled collection and save it as a run",
    "evaluate": "score a trained run on a split of a labelled collection",
    "tag": "tag audio files with a trained run",
    "extract": "extract features of a collection into a feature store (parallel, resumable)",
    "experiment": "run a comparison of taggers (the founding study)",
    "show": "draw a feature of an audio file (log-mel, MFCC, chroma, tempogram) to a picture",
}

#: What running a command again does after Ctrl-C, where it goes on from what it saved.
RESUMES = {
    "extract": "an extract run goes on where it stopped when run again",
    "experiment": "a study run again keeps the runs it saved and trains only the others",
}


def command(name: str):
    """The module of subcommand ``name``: its ``add_parser(commands, summary)`` and ``run(args)``."""
    return importlib.import_module(f"fasttag.commands.{name}")


def parse_args(argv: list[str]):
    """``argv`` (without the program name) parsed; only the named subcommand's module is imported for its
    options, the others are listed by name and help. Raises UsageError on bad arguments."""
    given = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = Parser(prog="fasttag", description="Fast music auto-tagging.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name, summary in COMMANDS.items():
        if name == given:
            command(name).add_parser(commands, summary)
        else:
            commands.add_parser(name, help=summary)
    return parser.parse_args(argv)


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
        stderr, without a traceback), 130 when interrupted (Ctrl-C), 1 with no
        message when stdout is a pipe closed early (``fasttag tag ... | head``),
        as Python's own recipe for a broken pipe.
    """
    args = None
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # a command shows its warnings, whatever the process's filters
        warnings.showwarning = _print_warning
        try:
            args = parse_args(sys.argv[1:] if argv is None else argv)
            command(args.command).run(args)
            sys.stdout.flush()  # a closed pipe is found here, not at interpreter exit
        except BrokenPipeError:
            _quiet_stdout()
            return 1
        except (UsageError, FasttagError, OSError) as exc:
            print(f"fasttag: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            resumes = RESUMES.get(getattr(args, "command", None))
            print("fasttag: interrupted" + (f" ({resumes})" if resumes else ""), file=sys.stderr)
            return 130
    return 0


def _quiet_stdout() -> None:
    """Point stdout at devnull: what is left in its buffer for a closed pipe is dropped at exit, not reported."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (in-process capture): nothing is flushed at exit
        pass
    finally:
        os.close(devnull)


def _one_line(message) -> str:
    return " ".join(str(message).split())


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings during a command, one line each, without the source line."""
    print(f"fasttag: warning: {_one_line(message)}", file=sys.stderr if file is None else file)
