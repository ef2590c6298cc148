"""``python -m simulators``: the same as ``discos-simulator``."""

import sys

from simulators.cli import main

sys.exit(main())
