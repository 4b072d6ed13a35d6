# One image for every service of docker-compose.yml: the kit, the locked packages, the demo app.
# The same lock as `make lab`, installed with its hashes.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/kit:/kit/tutorial_app \
    DJANGO_SETTINGS_MODULE=proj.settings

WORKDIR /kit
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
# Not root: the services need no privilege. /data holds the database, uploads, e-mails and
# Flower's history (a volume); workspace/ and notebooks/ are the learner's (mounted by `lab`).
RUN useradd --create-home --uid 1000 learner \
    && mkdir -p /data /kit/workspace /kit/.run \
    && chown -R learner /data /kit/workspace /kit/notebooks /kit/.run
USER learner
WORKDIR /kit/tutorial_app
