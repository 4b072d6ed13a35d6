from pathlib import Path

from django.apps import AppConfig


class PlaygroundConfig(AppConfig):
    name = "playground"
    verbose_name = "The learner's own tasks"
    # its modules are also looked up in the learner's workspace (see __init__.py): the app
    # itself is here
    path = str(Path(__file__).resolve().parent)
