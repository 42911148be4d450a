"""Memory estimates checked before a computation allocates: refuse what cannot fit, with the figure.

Solves hold their results for the whole grid and the work arrays of one chunk of grid points;
both are known before anything is computed.  A request whose estimate exceeds
:data:`MEMORY_LIMIT` (half of the machine's physical memory) is refused with a
:class:`GridTooLarge` error that states the estimate and the limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from symbolic_pme.errors import GridTooLarge

__all__ = ["MEMORY_LIMIT", "MemoryEstimate"]


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX systems
        return 8 << 30


#: Bytes a single solve may hold: half of the physical memory.
MEMORY_LIMIT: int = _physical_memory() // 2

GIB = float(1 << 30)


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes that a computation needs, checked against a limit before anything is allocated.

    Parameters
    ----------
    what : str
        What needs the memory, for the message (``"a solve of 1000 grid point(s) x 8 states"``).
    bytes : int
        The estimate in bytes.

    Examples
    --------
    >>> estimate = MemoryEstimate.of_arrays("a solve of 10 grid point(s)", 1000)
    >>> estimate.bytes
    8000
    >>> estimate.check(limit=1 << 20)
    >>> estimate.check(limit=4000)
    Traceback (most recent call last):
    ...
    symbolic_pme.errors.GridTooLarge: a solve of 10 grid point(s) needs about 7.45e-06 GiB, ...
    """

    what: str
    bytes: int

    @classmethod
    def of_arrays(cls, what: str, numbers: int) -> MemoryEstimate:
        """The estimate for ``numbers`` float64 values.

        Parameters
        ----------
        what : str
            What needs the memory, for the message.
        numbers : int
            How many float64 values it holds (8 bytes each).

        Returns
        -------
        MemoryEstimate
            ``8 * numbers`` bytes.
        """
        return cls(what, 8 * int(numbers))

    def check(self, *, limit: int | None = None) -> None:
        """Refuse the computation if the estimate exceeds ``limit``.

        Parameters
        ----------
        limit : int, optional
            Bytes allowed; default :data:`MEMORY_LIMIT` (half of the physical memory).

        Raises
        ------
        GridTooLarge
            If the estimate exceeds ``limit``; the message states both in GiB.
        """
        limit = MEMORY_LIMIT if limit is None else limit
        if self.bytes > limit:
            raise GridTooLarge(
                f"{self.what} needs about {self.bytes / GIB:.3g} GiB, more than the {limit / GIB:.3g} GiB "
                "this machine allows for one solve (half its memory); use fewer grid points, or sweep in parts"
            )
