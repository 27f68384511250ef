"""GitLab side of the merge-request flow: REST calls, the Code Quality report."""

from __future__ import annotations
