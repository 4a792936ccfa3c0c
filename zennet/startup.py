"""What ``import zennet`` does to the whole process, in one place.

Only one thing: on glibc, the allocator keeps freed arrays' memory for the next training
step instead of handing it back to the OS (``mallopt``; allocator.py says why and what it
measured). Set ``ZENNET_NO_MALLOPT=1`` before importing zennet to leave the allocator as
it is. Nothing else in zennet changes process-wide state at import: thread counts, signal
handlers and NumPy's print options are left alone.
"""

from zennet.allocator import tune_malloc

malloc_tuned = tune_malloc()
