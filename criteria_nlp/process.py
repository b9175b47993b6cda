"""Settings for a process that runs one long batch, as the `annotate` command does once the
pipeline is loaded. The library itself changes neither: call `settle_for_batch()` in a
program of your own that annotates many documents with one loaded pipeline.

* `gc.freeze()`: the loaded pipeline lives as long as the process, so the garbage collector
  stops rescanning its objects (and forked workers share them). Measured: batches 3-10 %
  faster, a document with thousands of thresholds a quarter faster.
* glibc's malloc keeps freed memory for the next batch instead of handing it back to the
  system. The recognizer allocates and frees arrays of megabytes for every batch; by default
  glibc maps each one afresh and unmaps it when freed, and trims the heap's top, so every
  batch pays page faults again. Measured on the 1,198 ctgov-raw texts with the default
  pipeline: system time 3.4 s -> 0.8 s, wall time 24 s -> 18 s, the same peak memory.
  Where malloc is not glibc's (macOS, musl), nothing changes.
* One BLAS thread: the recognizer's matrix products are small, and NumPy's OpenBLAS runs
  each on a thread per core, which spends as much CPU waiting as computing, and competes
  with the worker processes of `--n-process`. Measured on 600 ctgov-raw texts: 2.5 s wall
  and 4.7 s CPU with two threads, 2.7 s wall and 2.7 s CPU with one.
"""
from __future__ import annotations

import ctypes
import gc
import sys

from threadpoolctl import threadpool_limits

__all__ = ["settle_for_batch"]

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks below this size come from the heap, not a mapping of their own (glibc's maximum).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the heap's top is handed back to the system only beyond this size.
TRIM_THRESHOLD = 256 * 1024 * 1024


def settle_for_batch() -> bool:
    """Freeze the objects alive now (the loaded pipeline) out of the garbage collector's
    scans, keep glibc's malloc from returning memory between batches, and run BLAS on one
    thread.

    RETURNS (bool): whether malloc took the settings (False where it is not glibc's).
    """
    gc.freeze()
    threadpool_limits(limits=1, user_api="blas")  # stays set: the process is the batch's
    return _keep_freed_memory()


def _keep_freed_memory() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    # both, in this order: a fixed mmap threshold also stops glibc from moving the trim one
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and \
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
