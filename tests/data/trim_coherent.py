"""Copy QmeQ's coherent results (Lindblad, Redfield, 1vN) of ../shared/reference into this folder.

One file ``coherent_<model>.json`` per reference model of at most 64 states: the model
parameters, the states and, per entry ``<approach>|dband=10000.0|itype=<0 or 2>``, the points'
sweep value, eigenbasis populations, currents and spin-orbital occupations.  Run from the repository root:

    python tests/data/trim_coherent.py ../shared/reference
"""

import json
import sys
from pathlib import Path

ENTRIES = [f"{a}|dband=10000.0|itype={k}" for a in ("Lindblad", "Redfield", "1vN") for k in (0, 2)]
STATE_KEYS = ("index", "charge", "energy")
POINT_KEYS = ("x", "mulst", "prob_eigen", "current", "energy_current", "heat_current", "orbital_occupation")
FILES = [
    "a_triangle_noU",
    "c_single_level",
    "random_spinless_4",
    "random_spinless_6",
    "random_spinful_2",
    "random_spinful_3",
]

if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference")
    here = Path(__file__).resolve().parent
    for name in FILES:
        data = json.loads((folder / f"{name}.json").read_text())
        trimmed = {
            "source": f"{name}.json (QmeQ {data['qmeq_version']}), trimmed by tests/data/trim_coherent.py",
            "params": data["params"],
            "states": [{k: s[k] for k in STATE_KEYS} for s in data["states"]],
            "results": {e: [{k: p[k] for k in POINT_KEYS} for p in data["results"][e]["points"]] for e in ENTRIES},
        }
        (here / f"coherent_{name}.json").write_text(json.dumps(trimmed) + "\n")
