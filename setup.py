"""The project's one compiled extension; everything else is configured in pyproject.toml.

``symbolic_pme.numeric._loops`` (``numeric/_loops.c``, plain C99 on the CPython C API, no NumPy
headers) holds the loops of the small-model steady state.  It is optional: where it cannot be
built (no C compiler or no Python headers) the install goes on and the NumPy versions of the same
loops run (``symbolic_pme.numeric.loops``).  The module records the SHA-256 of the source it was
built from (``_loops.SOURCE``): an editable checkout keeps its last built module when a rebuild
fails, and the tests compare the two.
"""

import hashlib
from pathlib import Path

from setuptools import Extension, setup

SOURCE = Path(__file__).resolve().parent / "numeric" / "_loops.c"

setup(
    ext_modules=[
        Extension(
            "symbolic_pme.numeric._loops",
            sources=["numeric/_loops.c"],
            # the same arithmetic as the NumPy reference: no fused multiply-adds
            extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off"],
            define_macros=[("LOOPS_SOURCE", '"' + hashlib.sha256(SOURCE.read_bytes()).hexdigest() + '"')],
            optional=True,
        )
    ]
)
