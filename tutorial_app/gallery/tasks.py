from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings

from . import thumbnails
from .models import Photo

logger = get_task_logger(__name__)


@shared_task
def make_thumbnail(photo_id):
    """Write the photo's thumbnail (settings.THUMBNAIL_SIZE) and return where it is.

    It takes the photo's id, not the photo: a message carries JSON, and the worker reads the
    row as it is when the task runs. Safe to run twice: the same file is written again.
    """
    try:
        photo = Photo.objects.get(pk=photo_id)
    except Photo.DoesNotExist:
        logger.warning("photo %s does not exist: no thumbnail to make", photo_id)
        return None
    made = thumbnails.make(photo, settings.THUMBNAIL_SIZE)
    Photo.objects.filter(pk=photo_id).update(thumbnail=made["url"])
    logger.info("photo %s: thumbnail %sx%s", photo_id, made["width"], made["height"])
    return made
