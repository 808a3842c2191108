"""The credential check in the conversation: ``check``, keys kept out of answers, the report
and its sentences."""
