from celery import shared_task

from renewal.models import ImportStatus, SpaceImport
from renewal.services.imports import space_import_run


# acks_late: a worker that dies mid-import leaves the message to be delivered again;
# the status check (and the claim inside the service) makes that redelivery harmless.
# No reject_on_worker_lost: a file that kills its worker would loop forever.
# Sent to the "imports" queue by the caller (apply_async), so that a long import
# never waits behind, or holds up, the default queue.
@shared_task(acks_late=True)
def space_import_run_task(import_id: int) -> None:
    space_import = SpaceImport.objects.filter(
        pk=import_id, status=ImportStatus.QUEUED
    ).first()
    if space_import is None:
        return
    space_import_run(space_import=space_import)
