from django.urls import path

from . import views

app_name = "comments"
urlpatterns = [
    path("", views.index, name="index"),
    path("slow/", views.post_slow, name="post_slow"),
    path("<int:pk>/", views.detail, name="detail"),
]
