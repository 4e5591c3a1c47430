"""SIGTERM stops a command as Ctrl-C does.

A scheduler's time limit, ``scancel``, ``kill`` or a container's stop send SIGTERM, whose default action ends
the process at once: no message, scratch folders left in the temporary directory, a folder lock held. While a
command runs, :func:`sigterm_as_interrupt` turns SIGTERM into :class:`Terminated`, a :class:`KeyboardInterrupt`,
so that the library's cleanup for Ctrl-C (``finally`` blocks, temporary folders, worker processes, the running
nnU-Net command) runs for it too; the command line then prints one line and exits with ``128 + SIGTERM`` (143),
the code a shell reports for a process that SIGTERM ended.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from nnunet_wmh.cli.formatting import EXIT_INTERRUPTED

#: Exit code of a command stopped by SIGTERM (as a shell reports a process that SIGTERM ended).
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command was, so that it stops as after Ctrl-C.

    Attributes
    ----------
    signum
        The signal's number.
    """

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """For the duration of the block, SIGTERM raises :class:`Terminated` in the main thread; the previous handler
    is restored afterwards. Outside the main thread (where Python cannot handle signals) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:  # None: a handler not set from Python, which cannot be put back; the default is the nearest
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def stopped_by(interruption: KeyboardInterrupt) -> tuple[str, int]:
    """What stopped a command, in words, and its exit code.

    Parameters
    ----------
    interruption
        Ctrl-C's :class:`KeyboardInterrupt`, or :class:`Terminated`.

    Returns
    -------
    words, exit_code
        ``("interrupted", 130)`` after Ctrl-C, ``("terminated (SIGTERM)", 143)`` after SIGTERM.
    """
    if isinstance(interruption, Terminated):
        return f"terminated ({signal.Signals(interruption.signum).name})", 128 + interruption.signum
    return "interrupted", EXIT_INTERRUPTED
