from django.urls import include, path

urlpatterns = [
    path("", include("calc.urls")),
    path("comments/", include("comments.urls")),
]
