"""Reviews and waits at Tencent: the ``review`` command, waits started and ended by gate
answers, due dates in Chinese working days, reminders, and their part of ``status``."""
