"""app/common/gcpause.py: the collector is off inside, on again after the last pause ends, and left off when it was off."""

from __future__ import annotations

import gc

from app.common.gcpause import collections_paused


def test_pauses_nest_and_the_collector_comes_back():
    assert gc.isenabled()
    with collections_paused():
        assert not gc.isenabled()
        with collections_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still runs
    assert gc.isenabled()


def test_an_error_inside_still_resumes_the_collector():
    try:
        with collections_paused():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collections_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
