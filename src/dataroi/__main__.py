"""``python -m dataroi`` runs the command line."""

from dataroi.cli import exit_with, main

if __name__ == "__main__":
    exit_with(main())
