from django.urls import path

from . import views

app_name = "calc"
urlpatterns = [
    path("", views.index, name="index"),
    path("tasks/<str:task_id>/", views.task_detail, name="task"),
]
