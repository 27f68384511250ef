"""Where Cortex is: its public base URL and the variable that names another one.

Apart from `http` so that reading the settings (`config`, run by every command, `validate`
included) does not import httpx.
"""

from __future__ import annotations

DEFAULT_BASE_URL = "https://api.getcortexapp.com"
ENV_BASE_URL = "CORTEX_BASE_URL"  # the name Cortex's own CLI reads
# What to check when Cortex refuses the key; a workspace names its own variable instead.
DEFAULT_KEY_HINT = "CORTEX_API_KEY (or CORTEX_API_KEY_FILE) and CORTEX_BASE_URL"
