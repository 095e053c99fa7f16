"""File storage for files that must never have a public address."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage without URLs: its files are read by views that ask
    the rules first. Asking for a URL is a bug that would leak the file."""

    def url(self, name):
        raise ValueError(
            f"{name} is private: serve it through a view that checks permission."
        )
