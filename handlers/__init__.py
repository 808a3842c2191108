"""The platform-neutral onboarding dialogue: flow table, validators, commands, catalogue."""

from handlers import features  # noqa: F401  (every feature's router, included in the engine's)
from handlers.dialogue import Dialogue
from handlers.shapes import Action, Choice, Inbound, InboundFile, OutFile, Reply

__all__ = ["Action", "Choice", "Dialogue", "Inbound", "InboundFile", "OutFile", "Reply"]
