"""``python -m policyrules``: the command line, as the ``policyrules`` script runs it."""

import sys

from .cli import main

sys.exit(main())
