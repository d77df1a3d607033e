"""How often CPython's cyclic garbage collector runs in dropout-tui's processes.

Start-up builds tens of thousands of objects that live as long as the process (Textual, the app's modules,
then Keras'), and every frame builds and drops many small ones (strips, segments, styles). At CPython's
default threshold (a young collection every 700 allocations) the collector walked them about a hundred
times before the first frame, some 20-30 ms of it. Collected less often, cycles still are.
"""

from __future__ import annotations

import gc

YOUNG_OBJECTS_BEFORE_COLLECTION = 50_000


def collect_less() -> None:
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTION, *gc.get_threshold()[1:])
