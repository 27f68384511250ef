"""Limits Cortex's API sets, checked on this side before Cortex would refuse.

One owner for each: the loader refuses a file that could never be sent, the client
refuses to send it, and the emulator refuses to receive it, all against the same number.
"""

from __future__ import annotations

# Cortex refuses request bodies over 2 MB; a descriptor larger than that can never be sent.
MAX_DESCRIPTOR_BYTES = 2 * 1024 * 1024
