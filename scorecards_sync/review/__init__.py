"""The host-neutral half of the change-request flow: the sticky comment and its marker,
the reviewed-plan check. A Git host (GitHub, GitLab) implements `review.host.ReviewHost`."""

from __future__ import annotations
