"""``solve --workers N`` and ``solve --scheduler ADDRESS``: where the grid's chunks are solved.

``--workers N`` starts a ``ProcessPoolExecutor`` of N local processes; ``--scheduler`` connects
to a running Dask scheduler (``distributed.Client(ADDRESS).get_executor()``; the extra
``symbolic_pme[dask]``).  Both are handed to
:meth:`~symbolic_pme.numeric.network.CompiledNetwork.evaluate` (:mod:`symbolic_pme.numeric.distributed`),
and closed when the solve ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

from symbolic_pme.errors import CommandError

__all__ = ["CONNECT_TIMEOUT", "MAX_WORKERS", "check_parallel", "executor_for"]

#: Most local worker processes.
MAX_WORKERS = 256
#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 10


def check_parallel(workers: int | None, scheduler: str | None) -> None:
    """Refuse, before computing, a bad ``--workers`` or a ``--scheduler`` without Dask.

    Parameters
    ----------
    workers : int or None
        ``--workers``.
    scheduler : str or None
        ``--scheduler``.

    Raises
    ------
    CommandError
        For fewer than 1 or more than :data:`MAX_WORKERS` workers, or ``--scheduler`` without
        ``dask.distributed`` (naming the extra ``symbolic_pme[dask]``).
    """
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise CommandError(f"--workers {workers}: give a number of processes from 1 to {MAX_WORKERS}")
    if scheduler is not None:
        from symbolic_pme.numeric.datasets import require

        try:
            require("distributed", extra="dask", purpose="--scheduler")
        except ImportError as error:
            raise CommandError(str(error)) from None


@contextmanager
def executor_for(workers: int | None, scheduler: str | None) -> Iterator[Executor | None]:
    """The executor of ``--workers`` or ``--scheduler`` (None for neither), shut down on exit.

    Parameters
    ----------
    workers : int or None
        Local processes to start.
    scheduler : str or None
        The address of a Dask scheduler (``tcp://host:8786``).

    Yields
    ------
    concurrent.futures.Executor or None
        The executor.

    Raises
    ------
    CommandError
        If the scheduler cannot be reached within :data:`CONNECT_TIMEOUT` seconds.
    """
    if workers is not None:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    elif scheduler is not None:
        from distributed import Client

        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            raise CommandError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({error})") from None
        with client:
            yield client.get_executor()
    else:
        yield None
