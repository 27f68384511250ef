"""Writing files in one step."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

# A new file gets what `open()` would give it: this, less the umask (and any default ACL).
_NEW_FILE_MODE = 0o666
_NAME_ATTEMPTS = 100


def write_atomically(target: Path, content: str) -> None:
    """Replace `target` in one step: a reader never sees a half-written file.

    The content goes to a temporary file in the same folder, which then replaces the
    target (a rename within one file system is atomic). A new file gets the permissions
    any program's new file gets under the user's umask; a file replaced keeps its own.
    """
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        kept_mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        kept_mode = None
    fd, temporary = _create_temporary(folder, target.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            if kept_mode is not None:
                os.fchmod(stream.fileno(), kept_mode)
            stream.write(content)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_temporary(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty file beside `name`, created with the umask applied by the system.

    `tempfile.mkstemp` would create it with mode 0600 whatever the umask, and that mode
    would stay on the file it becomes.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_NAME_ATTEMPTS):
        path = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(path, flags, _NEW_FILE_MODE), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {name} in {folder}")
