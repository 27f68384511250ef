"""The host-neutral change-request flow, written once for every Git host.

A host (GitHub, GitLab) implements `review.host.ReviewHost`; `review.run.ReviewRun` is
one run on it, and `plan_step`, `apply_step` and `drift_step` are what a CI run does:
plan into one sticky comment whose marker carries the plan checksum (`sticky`), apply on
merge only the plan reviewed in the merged change request, follow drift.
"""

from __future__ import annotations
