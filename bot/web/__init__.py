"""The HTTP server behind ``esignbot serve``: the Starlette app, its limits (connections,
request time, body size and budget), the access log, ``/healthz`` and ``/metrics``."""
