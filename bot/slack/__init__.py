"""Slack: the bolt app (HTTP and Socket Mode), replies and threads, the keys modal, App Home,
the manifest."""
