"""Write instance/config.py with a fresh random secret key, once (used by `make run`)."""

import secrets
import sys
from pathlib import Path

TEMPLATE = """# Local settings for this Tavolo installation, written by `make run`.
# Keep this file private: the secret key signs sessions and links in mail.
SECRET_KEY = "{secret}"
"""


def main(instance: str = "instance") -> int:
    folder = Path(instance)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "config.py"
    if target.exists():
        return 0
    target.write_text(TEMPLATE.format(secret=secrets.token_urlsafe(48)), encoding="utf-8")
    target.chmod(0o600)
    print(f"Scritto {target} con una chiave segreta nuova.")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
