"""The files the bot hands over: the application workbook (openpyxl), the real-name materials
package, and the child process that builds them for ``serve``."""
