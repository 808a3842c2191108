"""What runs beside the chat platforms in every long-running mode (``serve``, Socket Mode): the
scheduler (reminders, review results, notifications), the mailbox watcher when a mailbox is
configured, and the child process that builds files.

Why one place: a mode that forgot one of them would still answer chat, so nothing would look
wrong until a reminder or a review result never arrived (Socket Mode had exactly that gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.delivery import DeliveryRuntime, Transport
from bot.files.process import FileBuilderProcess
from bot.mail.watch import mail_watcher
from bot.mail.watch import server_hooks as mail_hooks
from bot.scheduler import Scheduler
from bot.scheduler import server_hooks as scheduler_hooks
from bot.settings import Settings
from bot.web.health import Probe, database_probe
from bot.web.metrics import Metrics
from bot.web.server import Hook
from handlers.dialogue import Dialogue


@dataclass(frozen=True, slots=True)
class Background:
    """Hooks for :func:`bot.web.server.running`, in the order they must run."""

    starts: list[Hook] = field(default_factory=list)
    stops: list[Hook] = field(default_factory=list)
    finals: list[Hook] = field(default_factory=list)
    probes: dict[str, Probe] = field(default_factory=dict)
    """A liveness probe for each part, and the database's writability, for ``/healthz``."""


def background_work(settings: Settings, dialogue: Dialogue, platforms: Sequence[Transport],
                    files: FileBuilderProcess, metrics: Metrics | None = None) -> Background:
    """The hooks for ``platforms``; raises ``MailConfigError`` when the mailbox is only partly
    configured. ``files`` is the builder ``dialogue`` was made with: it starts first (so the
    first build does not wait for it) and closes last, after the platforms' remaining work.
    ``metrics``: where give-ups and mailbox faults are counted (``serve``)."""
    scheduler = Scheduler(dialogue.store, interval_s=settings.esignbot_scheduler_seconds,
                          admins=dialogue.services.admins)
    delivery = DeliveryRuntime(
        dialogue.store, dialogue=dialogue, admins=dialogue.services.admins,
        on_give_up=metrics.count_give_up if metrics is not None else None)
    startup, shutdown = scheduler_hooks(dialogue.store, platforms, scheduler=scheduler,
                                        delivery=delivery)
    work = Background([files.start, startup], [shutdown], [files.close],
                      {"database": database_probe(dialogue.store), "scheduler": scheduler.health,
                       "delivery": delivery.health})
    watcher = mail_watcher(settings, dialogue,  # Tencent's review emails, when configured
                           on_fault=metrics.count_mailbox_fault if metrics is not None else None)
    if watcher is not None:
        mail_start, mail_stop = mail_hooks(watcher)
        work.starts.append(mail_start)
        work.stops.insert(0, mail_stop)
        work.probes["mail"] = watcher.health
    work.probes["files"] = files.health
    for platform in platforms:  # a long connection's own state (the WeCom smart bot)
        health = getattr(platform, "health", None)
        if callable(health):
            work.probes[getattr(platform, "name", type(platform).__name__)] = health
    return work
