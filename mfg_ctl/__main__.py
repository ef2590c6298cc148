"""``python -m mfg_ctl``: the same as ``mfg-ctl``."""

import sys

from mfg_ctl.cli.main import main

sys.exit(main())
