"""TaskFlow decorators of errorguard (``@task.guarded``)."""
