"""The classroom runtime: starts and checks the kit's local stack, and helps the lessons.

from classroom import stack
stack.up()        # Redis, a Celery worker, Flower and Django, ready to use
stack.status()
stack.down()
"""

from . import stack
from .config import Config
from .errors import ClassroomError

__all__ = ["ClassroomError", "Config", "stack"]
