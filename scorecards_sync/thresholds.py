"""When a plan is too big to apply without `--force`: the thresholds, on their own so that
reading the settings (`config`) does not load the plan model."""

from __future__ import annotations

from dataclasses import dataclass

from scorecards_sync.errors import ConfigError


@dataclass(frozen=True)
class Thresholds:
    """When a plan is too big to apply without `--force` (octoDNS's safety habit); see
    `plan.check_safety`."""

    max_update_share: float = 0.30
    max_delete_share: float = 0.30
    min_managed: int = 10
    max_deletes: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_update_share", "max_delete_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(
                    f"thresholds.{name} must be a share between 0 and 1 (e.g. 0.3), got {value}"
                )
        if self.min_managed < 0:
            raise ConfigError(f"thresholds.min_managed must be 0 or more, got {self.min_managed}")
        if self.max_deletes is not None and self.max_deletes < 0:
            raise ConfigError(f"thresholds.max_deletes must be 0 or more, got {self.max_deletes}")
