"""The control worker: Celery tasks on queue ``control`` (scheduler, retention, sweeper, heartbeats, job tracking).

Start it, and celery beat which feeds it, with::

    celery -A backend.control.worker worker -Q control -n control@%h
    celery -A backend.control.worker beat --schedule DIR/beat-schedule
"""
