"""The application files and the email: ``excel``, ``materials`` and ``email``, what goes in
each file, and their sentences."""
