"""``python -m simulators.controller``: the same as ``mfg-ctl``."""

import sys

from simulators.controller.cli import main

sys.exit(main())
