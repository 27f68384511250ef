from __future__ import annotations

import sys

from scorecards_sync.cli import main

sys.exit(main())
