"""Copy the parts of ../shared/reference/*.json that the tests use into this folder.

The shared files (QmeQ 1.1 reference data, ~20 MB) also hold Lindblad/Redfield/1vN results,
eigenvectors and QmeQ internals; the tests need only the model parameters (with
``physical_leads`` / ``orbital_modes`` where the file has them), the many-body states, the Pauli
points and, for the seed's two models, one rate matrix.  A model file (``.toml``) stored beside a
reference file is copied unchanged.  Run from the repository root:

    python tests/data/trim_reference.py ../shared/reference
"""

import json
import shutil
import sys
from pathlib import Path

PAULI = "Pauli|dband=10000.0|itype=3"
STATE_KEYS = ("index", "charge", "energy", "fock_occupation_string")
POINT_KEYS = ("x", "mulst", "prob_eigen", "current", "energy_current", "heat_current", "orbital_occupation")
KERNEL_KEYS = ("mulst", "W", "Ea")

#: reference file -> whether the tests compare its full rate matrix (``pauli_kernel_example``)
FILES = {
    "a_triangle_noU.json": True,
    "c_single_level.json": True,
    "random_spinless_4.json": False,
    "random_spinless_6.json": False,
    "random_spinless_8.json": False,
    "random_spinful_2.json": False,
    "random_spinful_3.json": False,
    "random_spinful_4.json": False,
}


def trim(source: Path, target: Path, kernel_example: bool) -> None:
    data = json.loads(source.read_text())
    trimmed = {
        "source": f"{source.name} (QmeQ {data['qmeq_version']}), trimmed by tests/data/trim_reference.py",
        "note": data["note"],
        "params": data["params"],
        "states": [{k: s[k] for k in STATE_KEYS} for s in data["states"]],
        "points": [{k: p[k] for k in POINT_KEYS} for p in data["results"][PAULI]["points"]],
    }
    if kernel_example:
        trimmed["pauli_kernel_example"] = {k: data["pauli_kernel_example"][k] for k in KERNEL_KEYS}
    if "analytic" in data:
        trimmed["analytic"] = data["analytic"]
    target.write_text(json.dumps(trimmed, indent=1) + "\n")
    model_file = source.with_suffix(".toml")
    if model_file.exists():
        shutil.copyfile(model_file, target.with_suffix(".toml"))


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference")
    here = Path(__file__).resolve().parent
    for name, kernel_example in FILES.items():
        trim(folder / name, here / name, kernel_example)
