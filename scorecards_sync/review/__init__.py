"""The host-neutral half of the change-request flow: the sticky comment, its marker and
the reviewed checksum. A Git host (GitHub, GitLab) implements `review.host.CommentThread`."""

from __future__ import annotations
