"""Where ``solve`` writes its result: text formats streamed, binary formats to a file.

``table``, ``json`` and ``csv`` (:mod:`.formats`) are streamed to stdout or to ``--output``;
``netcdf`` (a NetCDF-4 file of :func:`symbolic_pme.numeric.datasets.to_xarray`'s dataset, through
h5netcdf) and ``npz`` (the same variables in NumPy's format) are binary and need ``--output``.
NetCDF needs the extra ``symbolic_pme[data]``; this is checked before anything is computed.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from symbolic_pme.errors import CommandError
from symbolic_pme.files.model_file import ModelFile
from symbolic_pme.numeric.results import SteadyState

from .formats import WRITERS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["BINARY_FORMATS", "FORMATS", "check_format", "write_output"]

#: The binary formats: written to a file (``--output``) only.
BINARY_FORMATS = ("netcdf", "npz")
#: Every ``--format``.
FORMATS = (*WRITERS, *BINARY_FORMATS)

#: Buffer of a streamed output file, in bytes.
_BUFFER = 1 << 20


def check_format(format_name: str, output: str | None) -> None:
    """Refuse, before computing, a binary format without ``--output`` or without its libraries.

    Parameters
    ----------
    format_name : str
        The ``--format``.
    output : str or None
        The ``--output`` path.

    Raises
    ------
    CommandError
        For ``netcdf`` or ``npz`` without ``--output``, or ``netcdf`` without xarray and
        h5netcdf (naming the extra ``symbolic_pme[data]``).
    """
    if format_name in BINARY_FORMATS and output is None:
        raise CommandError(
            f"--format {format_name} writes a binary file, not text for a terminal or a pipe: give -o PATH "
            f"(e.g. -o result.{'nc' if format_name == 'netcdf' else 'npz'})"
        )
    if format_name == "netcdf":
        from symbolic_pme.numeric.datasets import require

        try:
            require("xarray", extra="data", purpose="--format netcdf")
            require("h5netcdf", extra="data", purpose="--format netcdf")
        except ImportError as error:
            raise CommandError(str(error)) from None


def write_output(
    format_name: str,
    model: ModelFile,
    result: SteadyState,
    fixed: dict[str, float],
    output: str | None,
    *,
    extra: Mapping[str, Mapping[str, np.ndarray]] | None = None,
    coherences: bool = False,
) -> None:
    """Write the result in a format to ``output``, or to stdout (text formats only).

    Parameters
    ----------
    format_name : str
        One of :data:`FORMATS`.
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.
    output : str or None
        The file to write; None for stdout.
    extra : mapping, optional
        ``{key: {lead: values}}`` of ``--noise`` and ``--derivative``, in every format.
    coherences : bool, optional
        Add the key ``coherences`` of ``--coherences`` (``json`` only, checked before solving).

    Raises
    ------
    CommandError
        If the file cannot be written (naming ``--output``).
    """
    path = None if output is None else Path(output)
    try:
        if format_name in BINARY_FORMATS:
            from symbolic_pme.numeric.datasets import save_netcdf, save_npz

            save = save_netcdf if format_name == "netcdf" else save_npz
            save(result, path, title=model.title, extra=extra)
        else:
            options = {"coherences": True} if coherences else {}
            if path is None:
                WRITERS[format_name](sys.stdout, model, result, fixed, extra=extra, **options)
            else:
                with path.open("w", encoding="utf-8", newline="\n", buffering=_BUFFER) as stream:
                    WRITERS[format_name](stream, model, result, fixed, extra=extra, **options)
    except OSError as error:
        raise CommandError(f"--output {path}: cannot write it ({error.strerror or error})") from None
