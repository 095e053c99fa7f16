import os


def clean_environment() -> dict[str, str]:
    """The environment for a child process that stands for a real deployment."""
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
