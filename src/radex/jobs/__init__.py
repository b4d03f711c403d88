"""Background jobs: records in the RADEX database, advanced step by step by huey workers."""

from radex.jobs.notify import Notifier, signature
from radex.jobs.queue import JobQueue, make_huey
from radex.jobs.runner import JobHandler, JobRunner, Next, worker_id

__all__ = [
    "JobHandler",
    "JobQueue",
    "JobRunner",
    "Next",
    "Notifier",
    "make_huey",
    "signature",
    "worker_id",
]
