"""The learner's own tasks, in a Django app that Celery's autodiscover knows.

The app is part of the kit; the code the learner writes is not. Its modules are looked up
first in the learner's workspace, CLASSROOM_WORKSPACE (`make lab`'s is workspace/ at the top of
the kit): workspace/playground/tasks.py is `playground.tasks`. A test run, or `make notebooks`,
has a workspace of its own in its private run directory, so it never overwrites the learner's.
"""

import os
from pathlib import Path

_workspace = os.environ.get("CLASSROOM_WORKSPACE")
if _workspace:
    __path__.insert(0, str(Path(_workspace) / "playground"))
