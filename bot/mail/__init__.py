"""Email: sending the application over SMTP, watching the mailbox over IMAP for Tencent's
review emails and reading them, and ``esignbot mail-check``."""
