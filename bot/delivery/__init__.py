"""The one way out: the outbox, sent by one runtime per process through a transport per platform."""

from bot.delivery.runtime import DeliveryReport, DeliveryRuntime
from bot.delivery.transport import NotNow, Parcel, Route, Transport

__all__ = ["DeliveryReport", "DeliveryRuntime", "NotNow", "Parcel", "Route", "Transport"]
