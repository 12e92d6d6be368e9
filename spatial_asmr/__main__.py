from .cli import _console

_console()
