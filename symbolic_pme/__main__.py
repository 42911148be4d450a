"""``python -m symbolic_pme``: the same as the ``symbolic-pme`` command."""

import sys

from .command import main

sys.exit(main())
