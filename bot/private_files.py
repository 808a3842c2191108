"""Files that may hold personal data, written readable by their owner only.

Why: the workbook and the materials zip carry resident ID and phone numbers in full. A file
written with ``write_bytes`` gets ``0666 & ~umask`` — world-readable (0644) under the usual
umask 022 — so anyone on the machine could read them. Here the bytes go into a temporary file
that ``mkstemp`` creates 0600 whatever the umask, in the target's folder, which then replaces the
target in one rename: there is no moment at which the content is readable by others, and no
half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

OWNER_ONLY = 0o600


def write_owner_only(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path``, mode 0600 (an existing file there is replaced)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), OWNER_ONLY)  # mkstemp's mode already; said, not assumed
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def ensure_owner_only(path: Path) -> None:
    """Create ``path`` (empty) if missing, and make it 0600 either way: for a file others
    append to by name later (the console's history), which would otherwise be created
    ``0666 & ~umask``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, OWNER_ONLY)
    try:
        os.fchmod(fd, OWNER_ONLY)
    finally:
        os.close(fd)
