"""``python -m symbolic_pme``: the same as the ``symbolic-pme`` command."""

import sys

from symbolic_pme.cli import main

sys.exit(main())
