"""Web origins (scheme, host, port): where a token may be sent.

Why an origin and not a host name: the same host on another port is another server (anyone on
the machine may listen there), and plain ``http`` to the right host can be read on the way. A
token belongs to exactly the origins it was issued for, compared as parsed tuples, and requests
that carry it never follow a redirect (a redirect is another request, to wherever it says).
"""

from __future__ import annotations

from urllib.parse import urlsplit

Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> Origin | None:
    """``url``'s (scheme, host, port), the port filled in; None when it is not an http(s) URL
    with a host (or its port is not a number)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def same_origin(url: str, allowed: set[Origin] | frozenset[Origin]) -> bool:
    found = origin(url)
    return found is not None and found in allowed
