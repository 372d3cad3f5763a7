"""First module of the fork server's preload list: watch the coordinator while the
slow imports that follow run (see :mod:`dataroi._orphans`), so that a fork server
whose coordinator was killed meanwhile exits at once instead of holding the caller's
pipes for the seconds scikit-learn and pandas take to import.

Importing it elsewhere starts nothing (the coordinator's variable is unset there, or
names the importing process itself).

Example:
    >>> from dataroi import _orphans
    >>> _orphans._watch is None  # not in a fork server: no watch
    True
"""

from dataroi._orphans import watch_while_preloading

watch_while_preloading()
