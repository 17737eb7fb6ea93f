"""app/common/memory.py: large blocks apart from the heaps (glibc), and giving freed memory back."""

import platform

import pytest

from app.common import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_large_blocks_are_kept_apart_on_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    memory.keep_large_blocks_apart.cache_clear()
    assert memory.keep_large_blocks_apart() is True  # mallopt accepted the threshold


def test_an_operators_own_threshold_is_left_as_given(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "4194304")
    memory.keep_large_blocks_apart.cache_clear()
    assert memory.keep_large_blocks_apart() is False
    memory.keep_large_blocks_apart.cache_clear()


def test_giving_back_never_raises():
    memory.give_back()
