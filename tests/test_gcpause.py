"""The cycle collector is paused only inside the block, and always given back."""

import gc

import pytest

from automation import gcpause


def test_paused_inside_and_resumed_after_even_on_error():
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with gcpause.paused():
            assert not gc.isenabled()
            with gcpause.paused():  # nested: still paused when the inner block ends
                pass
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
