"""What the tests that start a real server share: a free port, gunicorn's options, and the wait
until it answers. The browser journeys (tests/e2e) and the reliability tests use them."""

import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_options() -> list[str]:
    # gunicorn >= 25.1 opens a control socket at one fixed path in $HOME: two servers running
    # at once would fight over it.
    from gunicorn import config

    return ["--no-control-socket"] if hasattr(config, "ControlSocketDisable") else []


def answers(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Whether the server at ``url`` answers /salute with 200 within ``seconds``; False as soon
    as its process has stopped."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/salute", timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return False
