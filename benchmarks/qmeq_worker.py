"""Times QmeQ on the random reference models, on request: the live side of ``coherent_map.py --qmeq``.

Runs under an interpreter that has QmeQ 1.1 (``benchmarks/install_qmeq.sh`` makes one); reads one
JSON request per line on stdin, ``{"model": path, "kerntype": "Lindblad", "itype": 2}``, and
answers one JSON line: ``{"loop_s": seconds, "current": [[...], ...]}``.  What is timed is what
the reference files' ``timing`` records: ``Builder()`` outside, then 11 x ``(change(mulst) +
solve())``, the first solve diagonalising and the others ``solve(qdq=False)``; the currents of
every point come back so that the caller can check that it timed the same model.
"""

from __future__ import annotations

import json
import sys
import time

import qmeq


def builder(params: dict, kerntype: str, itype: int, dband: float) -> qmeq.Builder:
    """The model of a reference file's ``params``, as the reference was computed."""
    nleads = params["nleads"]
    return qmeq.Builder(
        nsingle=params["nsingle"],
        hsingle={(i, j): v for i, j, v in params["hsingle"]},
        coulomb={tuple(term[:4]): term[4] for term in params["coulomb"]},
        nleads=nleads,
        tleads={(lead, orbital): t for lead, orbital, t in params["tleads"]},
        mulst={lead: 0.0 for lead in range(nleads)},
        tlst={lead: t for lead, t in params["tlst"]},
        dband=dband,
        kerntype=kerntype,
        itype=itype,
        indexing="charge" if kerntype == "Pauli" else "Lin",
    )


def chemical_potentials(params: dict, bias: float) -> dict[int, float]:
    """mu of every QmeQ channel: +V/2 for the L channels, -V/2 for the R ones."""
    mus = {}
    for name, channels in params["physical_leads"].items():
        for channel in channels:
            mus[channel] = bias / 2 if name == "L" else -bias / 2
    return mus


def timed(request: dict) -> dict:
    with open(request["model"]) as handle:
        data = json.load(handle)
    params = data["params"]
    system = builder(params, request["kerntype"], request["itype"], request.get("dband", 1e4))
    currents = []
    start = time.perf_counter()
    for k, bias in enumerate(params["sweep_values"]):
        system.change(mulst=chemical_potentials(params, bias))
        system.solve(qdq=k == 0)
        currents.append(list(system.current))
    loop = time.perf_counter() - start
    return {"loop_s": loop, "current": currents}


def main() -> None:
    for line in sys.stdin:
        print(json.dumps(timed(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
