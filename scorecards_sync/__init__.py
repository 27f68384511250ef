"""scorecards-sync: GitOps for Cortex Scorecards."""

from __future__ import annotations

__version__ = "0.1.0"
