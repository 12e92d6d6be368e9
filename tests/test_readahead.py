"""Reading ahead: a producer's items made on a thread of their own, in order."""

import threading
from contextlib import closing

import pytest

from spatial_asmr.readahead import ahead


def _producer(made, closed, n=10, fail_at=None):
    try:
        for i in range(n):
            if i == fail_at:
                raise OSError(28, "No space left on device")
            made.append((i, threading.get_ident()))
            yield i
    finally:
        closed.append(threading.get_ident())


@pytest.mark.parametrize("depth", [1, 3])
def test_the_items_come_in_order_made_on_another_thread(depth):
    made, closed = [], []
    assert list(ahead(_producer(made, closed), depth)) == list(range(10))
    assert {ident for _, ident in made} != {threading.get_ident()}
    assert len({ident for _, ident in made}) == 1
    assert len(closed) == 1


def test_the_producers_error_is_raised_where_its_item_would_come():
    made, closed = [], []
    got = []
    with pytest.raises(OSError, match="No space left"):
        for item in ahead(_producer(made, closed, fail_at=4)):
            got.append(item)
    assert got == [0, 1, 2, 3]


@pytest.mark.parametrize("depth", [1, 2])
def test_closing_early_stops_the_producer_and_runs_its_finally_on_this_thread(depth):
    made, closed = [], []
    before = threading.active_count()
    with closing(ahead(_producer(made, closed, n=1000), depth)) as items:
        assert next(items) == 0
        assert next(items) == 1
    # at most the items asked for and those made ahead of them
    assert len(made) <= 2 + depth
    assert closed == [threading.get_ident()]
    assert threading.active_count() == before


def test_a_plain_iterable_is_read_ahead_too():
    assert list(ahead(iter([3, 1, 2]))) == [3, 1, 2]
    assert list(ahead([])) == []


def test_depth_must_be_at_least_one():
    with pytest.raises(ValueError, match="depth is 0 but must be >= 1"):
        next(ahead([1], depth=0))


def test_producers_sharing_a_pool_each_come_in_order_and_close_alone():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        made_a, closed_a, made_b, closed_b = [], [], [], []
        a = ahead(_producer(made_a, closed_a, n=50), pool=pool)
        b = ahead(_producer(made_b, closed_b, n=5), pool=pool)
        assert [next(a), next(b), next(a)] == [0, 0, 1]
        a.close()  # b goes on on the same pool
        assert closed_a == [threading.get_ident()]
        assert list(b) == [1, 2, 3, 4]
        assert len(made_a) <= 3
        # one thread made every item of both
        assert len({ident for _, ident in made_a + made_b}) == 1
