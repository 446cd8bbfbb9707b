"""Background jobs on Celery: the app and its broker (celery_app), the tasks a worker runs
(tasks), the store of jobs and results shared with the workers (store), and the queue the
callbacks call (queue: caps, handles, progress, lost jobs)."""
