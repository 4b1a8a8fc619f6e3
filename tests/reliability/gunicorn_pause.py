"""gunicorn settings for tests/reliability/test_faults.py: a worker that stops mid-save.

No hook in the app's code: once a worker has loaded the app, the activity service's
``record_revision`` (which a document's save calls inside its transaction, after the new
revision has been sent to the database and before the commit) is wrapped. The first save
to get there while the file named by TAVOLO_TEST_PAUSE_ARMED exists takes that file (a
rename: only one worker can), writes the worker's pid to TAVOLO_TEST_PAUSED, flushes
everything it has, and waits there for the test's SIGKILL.
"""

import os
import time
from pathlib import Path


def post_worker_init(worker):
    from workspace.activity import service as activity
    from workspace.extensions import db

    armed = Path(os.environ["TAVOLO_TEST_PAUSE_ARMED"])
    paused = Path(os.environ["TAVOLO_TEST_PAUSED"])
    record_revision = activity.record_revision

    def record_then_pause(*args, **kwargs):
        result = record_revision(*args, **kwargs)
        try:
            armed.rename(armed.with_suffix(".taken"))
        except FileNotFoundError:
            return result
        db.session.flush()  # the revision and its event are in the database, uncommitted
        paused.write_text(str(os.getpid()))
        time.sleep(600)  # until the SIGKILL
        return result

    activity.record_revision = record_then_pause
