"""``python -m fo_sam3.bench``: the same as ``fo-sam3 bench``."""

import sys

from .cli import main

sys.exit(main())
