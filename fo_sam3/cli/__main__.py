"""``python -m fo_sam3.cli``: the same as ``fo-sam3``."""

import sys

from . import main

sys.exit(main())
