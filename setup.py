"""The project's one compiled extension; everything else is configured in pyproject.toml.

``symbolic_pme.numeric._loops`` (``numeric/_loops.c``, plain C99 on the CPython C API, no NumPy
headers) holds the loops of the small-model steady state.  It is optional: where it cannot be
built (no C compiler or no Python headers) the install goes on and the NumPy versions of the same
loops run (``symbolic_pme.numeric.loops``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "symbolic_pme.numeric._loops",
            sources=["numeric/_loops.c"],
            # the same arithmetic as the NumPy reference: no fused multiply-adds
            extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off"],
            optional=True,
        )
    ]
)
