"""A progress bar for long sweeps, on a terminal only.

Uses ``tqdm`` (terminal detection, rate and time estimates, clean redraws), shown only when the
sweep has run for ``delay`` seconds, and never with ``--quiet`` or when stderr is not a terminal
(pipes, files, CI logs stay clean).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

__all__ = ["DELAY", "progress_bar"]

#: Seconds a sweep runs before its bar appears (shorter sweeps never show one).
DELAY = 1.0


@contextmanager
def progress_bar(
    total: int, *, quiet: bool, stream: TextIO | None = None, delay: float | None = None
) -> Iterator[Callable[[int, int], None]]:
    """Context giving a callback that advances a progress bar.

    Parameters
    ----------
    total : int
        The number of grid points.
    quiet : bool
        Never show the bar (``--quiet``).  Keyword-only, like the options below.
    stream : TextIO, optional
        Where the bar is drawn (default: stderr); it is shown only on a terminal.
    delay : float, optional
        Seconds before the bar appears (default: :data:`DELAY`).

    Yields
    ------
    callable of (int, int)
        ``progress(done, total)``.
    """
    stream = sys.stderr if stream is None else stream
    delay = DELAY if delay is None else delay
    shown = not quiet and stream.isatty()
    with tqdm(total=total, unit="pt", unit_scale=True, file=stream, delay=delay, disable=not shown, leave=False) as bar:

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.n)

        yield progress
