"""Last module of the fork server's preload list: end the watch that
:mod:`dataroi.executors._preload_start` began, before the fork server forks its first
worker (from then on the fork server exits when its 'alive' pipe closes, and each
worker watches the coordinator itself).

Example:
    >>> from dataroi import _orphans
    >>> _orphans._watch is None
    True
"""

from dataroi._orphans import stop_watching

stop_watching()
