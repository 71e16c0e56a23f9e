"""The request's frames run above a roomy frame, so the interpreter does not
map and unmap a chunk of its frame stack at every turn of a loop whose calls
cross a chunk's edge (helpdesk/headroom.py, issue 22)."""

import resource
import sys

import pytest

from helpdesk.headroom import HeadroomMiddleware, with_headroom

TURNS = 200


def _leaf():
    return None


def _down(depth: int) -> None:
    """`depth` frames down, then a loop of calls: at some depth, each call's
    frame is the first of a new chunk."""
    if depth:
        return _down(depth - 1)
    for _ in range(TURNS):
        _leaf()
    return None


def _worst_faults(call) -> int:
    """The most page faults one loop took, over every depth a chunk's edge
    can fall at (a fresh chunk's pages fault when first written)."""
    worst = 0
    for depth in range(0, 240):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        call(depth)
        worst = max(worst, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    return worst


def test_a_loop_at_any_depth_maps_no_chunk_per_call_above_the_roomy_frame():
    # The roomy chunk's own pages fault once per call (about 20), not per turn.
    assert _worst_faults(lambda depth: with_headroom(lambda: _down(depth))) < TURNS // 4


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13's later releases keep a spare chunk")
def test_without_the_roomy_frame_some_depth_maps_a_chunk_per_call():
    """What the roomy frame prevents, so the test above can tell."""
    assert _worst_faults(_down) >= TURNS


def test_the_middleware_returns_the_answer_and_lets_errors_through(rf):
    assert HeadroomMiddleware(lambda request: "answer")(rf.get("/")) == "answer"

    def broken(request):
        raise ValueError("raised below")

    with pytest.raises(ValueError, match="raised below"):
        HeadroomMiddleware(broken)(rf.get("/"))
