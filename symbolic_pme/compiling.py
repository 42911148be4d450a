"""One entry point from an exact model to its batched numeric solver.

The numeric layer (``symbolic_pme.numeric``, NumPy/SciPy) is imported only when a model is
compiled, so that ``import symbolic_pme`` stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from symbolic_pme.networks.network import RateNetwork
from symbolic_pme.quantum.lindblad import LindbladModel
from symbolic_pme.transport.model import TransportModel

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.numeric.lindblad import CompiledLindblad
    from symbolic_pme.numeric.network import CompiledNetwork

__all__ = ["compile_model"]


def compile_model(
    model: TransportModel | RateNetwork | LindbladModel, *, defaults: Mapping[str, float] | None = None
) -> CompiledNetwork | CompiledLindblad:
    """Compile an exact model into a batched numeric solver.

    Parameters
    ----------
    model : TransportModel, RateNetwork or LindbladModel
        The exact model.  A transport model keeps its numeric eigenstates and checks every lead
        temperature to be non-negative; a rate network is compiled as it stands; a Lindblad model
        gets the exact Liouvillian solver.
    defaults : mapping of str to float, optional
        Values for parameters that a solve does not set.

    Returns
    -------
    CompiledNetwork or CompiledLindblad
        ``CompiledNetwork`` for transport models and rate networks, ``CompiledLindblad`` for
        Lindblad models; evaluate them on parameter grids (``steady_state({...})``).

    Raises
    ------
    TypeError
        For anything else.

    Examples
    --------
    >>> from symbolic_pme import RateNetwork, compile_model
    >>> network = RateNetwork(["a", "b"], [("a", "b", 2), ("b", "a", 1)])
    >>> compile_model(network).steady_state({}).probabilities.round(6).tolist()
    [0.333333, 0.666667]
    """
    if isinstance(model, TransportModel):
        from symbolic_pme.numeric.transport import compile_model as compile_transport

        return compile_transport(model, defaults=defaults)
    if isinstance(model, RateNetwork):
        from symbolic_pme.numeric.network import compile_network

        return compile_network(model, defaults=defaults)
    if isinstance(model, LindbladModel):
        from symbolic_pme.numeric.lindblad import compile_lindblad

        return compile_lindblad(model, defaults=defaults)
    raise TypeError(
        f"compile_model: expected a TransportModel, RateNetwork or LindbladModel, got {type(model).__name__}"
    )
