"""Runs moto_server, and exits as soon as the process that started it is gone.

The starter (local/moto.ts) holds the write end of this process's stdin. When the starter dies, even by
SIGKILL where no exit handler runs, the kernel closes that pipe; reading stdin then returns end-of-file and
the server exits instead of living on as an orphan that holds its port.
"""
import os
import sys
import threading

from moto.server import main


def exit_when_starter_is_gone() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


threading.Thread(target=exit_when_starter_is_gone, daemon=True).start()
main(sys.argv[1:])
