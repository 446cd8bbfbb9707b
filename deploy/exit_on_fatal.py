"""A supervisord event listener (deploy/supervisord.conf): when a program has failed to start
too many times (FATAL), stop supervisord, and with it the container.

The event listener protocol: write READY, read one event (a header line, then a payload of the
length it gives), answer RESULT, repeat. stdout is supervisord's; messages go to stderr.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        header = dict(token.split(":", 1) for token in sys.stdin.readline().split())
        payload = dict(token.split(":", 1) for token in sys.stdin.read(int(header["len"])).split())
        sys.stdout.write("RESULT 2\nOK")
        sys.stdout.flush()
        if header.get("eventname") == "PROCESS_STATE_FATAL":
            print(f"exit_on_fatal: {payload.get('processname')} could not be kept running: stopping",
                  file=sys.stderr, flush=True)
            os.kill(os.getppid(), signal.SIGTERM)


if __name__ == "__main__":
    main()
