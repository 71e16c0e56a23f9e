"""Room on the interpreter's frame stack for a whole request.

CPython 3.11 keeps Python frames in chunks of 16 KiB that it maps from the
OS, and gives a chunk back (munmap) as soon as the frame that opened it
returns (python/cpython#142183: the fix, which keeps a spare chunk, went
to 3.13's later releases, not to 3.11).
A template render swings up and down by dozens of frames. Where a chunk's
edge falls inside that swing, every turn of a loop maps and unmaps the same
chunk: about 300 times per ticket page, each two system calls and fresh
pages to fault in. Where the edge falls depends on how deep the server
happens to call the application, so the same page took from 38 to 54 ms
in one process (issue 22).

`with_headroom(call)` calls `call` from a frame of 64 KiB. No chunk in use
has room for it, so the interpreter maps a fresh one of 128 KiB (chunks
double until the frame fits), and the frames above it have the other
64 KiB to themselves: more than a page's deepest render uses. One chunk is
mapped per request instead of hundreds.
"""

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Local variable slots of the roomy frame, 8 bytes each: 64 KiB.
SLOTS = 8192


def _roomy_function() -> Callable[[Callable[[], T]], T]:
    names = " = ".join(f"_{n}" for n in range(SLOTS))
    source = (
        "def with_headroom(call):\n"
        # Never run: the assignment only makes the names local slots.
        f"    if call is None:\n        {names} = None\n"
        "    return call()\n"
    )
    namespace: dict = {}
    exec(compile(source, f"{__file__} (with_headroom)", "exec"), namespace)
    return namespace["with_headroom"]


with_headroom = _roomy_function()


class HeadroomMiddleware:
    """The whole request, middleware included, runs above the roomy frame."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return with_headroom(lambda: self.get_response(request))
