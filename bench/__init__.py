"""The load benchmark of ``esignbot serve`` (issue 9): ``python -m bench.run``.

Why a package of its own: it is not part of the running bot, but it drives the real one — a
real ``esignbot serve`` process on 127.0.0.1, the fake Slack and WeCom APIs from ``tests.fakes``,
and the bare bolt apps of :mod:`bench.bare_bolt` served the same way as the framework's floor.
"""
