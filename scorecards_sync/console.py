"""Where the program writes, and the exit codes it ends with.

`Console` is the program's only output channel: `cli.main` makes one and hands it to the
command it runs. The exit codes are shared by the command line (`cli`, `commands/*`) and
the GitHub Action (`github/*`), which returns the same codes from below the commands;
that is why this module sits at the bottom of the package and imports nothing from it
but `safe_text` (which imports nothing either).

Exit codes (documented in the README):
    0   success (with --detailed-exitcode: success and no changes)
    1   an error: invalid descriptors, a failed API call, a refused or failed apply
    2   with --detailed-exitcode only: success, and the plan has changes
    64  usage error: bad flags or configuration
    130 interrupted
"""

from __future__ import annotations

import sys
from typing import TextIO

from scorecards_sync.safe_text import terminal_output

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


class Console:
    """Where commands write: the only output channel of the program.

    The last guard for the terminal: whatever a renderer let through, no control
    character but a line feed or a tab, and no escape sequence but the tool's own
    colours, reaches it (`safe_text.terminal_output`).
    """

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr

    def out(self, text: str = "") -> None:
        print(terminal_output(text), file=self.stdout)

    def err(self, text: str = "") -> None:
        print(terminal_output(text), file=self.stderr)
