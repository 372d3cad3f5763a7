"""``python -m dataroi`` runs the command line."""

import sys

from dataroi.cli import main

if __name__ == "__main__":
    sys.exit(main())
