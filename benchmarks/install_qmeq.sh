#!/bin/sh
# A virtual environment with QmeQ 1.1, for `coherent_map.py --qmeq` (QmeQ timed live beside ours).
#
#   sh benchmarks/install_qmeq.sh QMEQ_SOURCE [VENV]
#
# QMEQ_SOURCE: a checkout of https://github.com/gedaskir/qmeq at tag 1.1 (the PyPI sdist of 1.1
# lacks the .pxd files, and its pre-generated C includes longintrepr.h, which Python 3.11 moved).
# VENV (default /tmp/venv-qmeq) gets the versions the reference files record (NumPy 1.26, SciPy
# 1.11) and Cython 0.29 to generate the C; its python is what --qmeq takes.
set -eu
source_dir=$1
venv=${2:-/tmp/venv-qmeq}
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "numpy==1.26.4" "scipy==1.11.4" "cython<3" setuptools wheel
"$venv/bin/pip" install -q --no-build-isolation "$source_dir"
cd /tmp && "$venv/bin/python" -c "import qmeq; print('QmeQ', qmeq.__version__, 'in', '$venv')"
