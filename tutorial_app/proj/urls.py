from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("", include("calc.urls")),
    path("comments/", include("comments.urls")),
    path("gallery/", include("gallery.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),  # django-celery-beat's schedule among the rest (lesson 10)
    # no icon, and no 404 for the browser's request of one (the admin's pages ask for it)
    path("favicon.ico", lambda request: HttpResponse(status=204)),
    # uploads, served by the development server (DEBUG only: a real server serves them itself)
    *static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT),
]
