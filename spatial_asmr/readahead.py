"""Making the next items of a stream on a thread of their own while this one is used.

A render is a chain of stages that each take chunks from the one before:
the sources' generators, the engine, the meters and the spool, the limiter,
the file.  Run one after another on one thread, a stage waits for the
others; :func:`ahead` runs a stage's producer on a thread of its own, one or
a few items ahead of its consumer, so that on a machine of two or more cores
the stages overlap.  The heavy work in every stage (numba kernels compiled
``nogil``, numpy's loops, libsndfile) releases the GIL, so the overlap is
real.

The items, and their order, are the producer's: only the thread that makes
them changes, so the output is the same bytes whether or not it reads
ahead.
"""

__all__ = ["ahead"]

import threading
from collections import deque

_END = object()


def ahead(iterable, depth=1, pool=None):
    """Yield the items of ``iterable``, each made on a worker thread while
    the items before it are used.

    Parameters
    ----------
    iterable : iterable
        The producer.  Only one thread at a time advances it.
    depth : int, optional
        Items made ahead of the one yielded (>= 1): what the producer may
        hold beyond its consumer.
    pool : concurrent.futures.ThreadPoolExecutor, optional
        A single-thread executor that several producers share (one item is
        made at a time for all of them: the many sources of a scene hold one
        segment's temporaries, not one each).  Default: a thread of its own,
        ended when the generator ends.

    Yields
    ------
    item
        The items of ``iterable``, in order.  An exception the producer
        raises is raised here, where its item would have been yielded.

    Notes
    -----
    Closing the generator (or leaving a loop over it by an exception, once
    the generator is collected) lets the item being made finish, drops the
    others, and closes the producer if it is a generator: its ``finally``
    blocks run, on the consumer's thread.  Use it in a ``with
    contextlib.closing(...)`` block where the producer holds resources that
    must be released before the consumer goes on.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    if depth < 1:
        raise ValueError(f"depth is {depth!r} but must be >= 1")
    it = iter(iterable)
    own = pool is None
    if own:
        pool = ThreadPoolExecutor(1, thread_name_prefix="spatial-asmr-ahead")
    worker = []

    def step():
        if not worker:
            worker.append(threading.get_ident())
        return next(it, _END)

    pending = deque()
    try:
        for _ in range(depth):
            pending.append(pool.submit(step))
        while True:
            item = pending.popleft().result()
            if item is _END:
                return
            pending.append(pool.submit(step))
            yield item
    finally:
        for future in pending:
            future.cancel()
        # the item being made is finished first; unless this generator is
        # being let go of on the worker itself (the last reference to it
        # was dropped by what the producer let go of), which then goes on
        # to its end on its own
        on_worker = bool(worker) and worker[0] == threading.get_ident()
        if own:
            pool.shutdown(wait=not on_worker)
        elif not on_worker:
            wait([future for future in pending if not future.cancelled()])
        close = getattr(it, "close", None)
        if close is not None and not on_worker:
            close()  # suspended now: its finally blocks run here
