"""The command line, ``nnunet_wmh COMMAND ...``: one module per command (its docstring is the command's
description; ``NAME``, ``SUMMARY``, ``add_arguments(parser)`` and a thin ``run(args)`` that calls one library
function and prints a summary). :mod:`~nnunet_wmh.cli.main` holds the exit codes and turns library errors into
one line each, with the library's parameter names shown as flags.

Command modules import the library inside their handlers (marked heavy), so ``nnunet_wmh --help`` and the
commands that need no deep-learning stack start quickly.
"""

from nnunet_wmh.cli.main import main

__all__ = ["main"]
