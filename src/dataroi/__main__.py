"""``python -m dataroi`` runs the command line."""

from dataroi.cli import _entry

if __name__ == "__main__":
    _entry()
