"""Stopping cleanly on SIGTERM, as on Ctrl-C.

A scheduler, ``timeout`` or ``kill`` sends SIGTERM; Python's default for
it is to die on the spot, leaving the temporary files of a half-written
output behind.  :func:`stop_on` turns a signal into an exception raised in
the main thread, so that every ``finally`` and ``except BaseException`` on
the way out runs (temporary files removed, the previous output intact).

A signal can arrive while Python code runs inside a C callback (numba's
compiler calls back into Python): an exception raised there cannot unwind
the C frames, and CPython would print it as "Exception ignored" and carry
on.  The signal is then sent again 10 ms later (from a thread), to be
handled once the callback has returned.
"""

__all__ = ["stop_on"]

import os
import signal
import sys


def stop_on(signum, exception):
    """Raise ``exception(signum)`` in the main thread when ``signum`` arrives.

    Parameters
    ----------
    signum : int
        E.g. ``signal.SIGTERM``.
    exception : callable
        Called with the signal number; returns the exception to raise
        (e.g. ``lambda s: KeyboardInterrupt()``).

    Returns
    -------
    previous
        The handler that was installed before (for ``signal.signal``).
    """
    stopping = []

    def handler(number, frame):
        stopping.append(number)
        raise exception(number)

    previous_hook = sys.unraisablehook

    def unraisable(info):
        if stopping and isinstance(info.exc_value, BaseException) and \
                not isinstance(info.exc_value, Exception):
            # raised inside a callback: send the signal again a moment later,
            # from a thread (a handler run inside this hook would be lost too)
            import threading

            again = threading.Timer(0.01, os.kill, (os.getpid(), stopping[-1]))
            again.daemon = True
            again.start()
            return
        previous_hook(info)

    sys.unraisablehook = unraisable
    return signal.signal(signum, handler)
