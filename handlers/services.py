"""Services with outside I/O that the dialogue uses without knowing how they work.

Why protocols passed in: ``handlers`` must not import openpyxl, smtplib, the Tencent Cloud SDK
or a chat platform (see the README's architecture). Each feature declares here, as a
``Protocol``, the little it needs; ``bot/`` builds the real implementation and hands it to
``Dialogue(services=Services(...))``. A service left as ``None`` is not configured, and the
command that needs it says how to configure it instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Services:
    """The configured services; every field is optional."""
