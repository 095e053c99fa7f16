"""File storage for files that must never have a public address."""

from django.core.files.storage import FileSystemStorage, Storage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """A file system storage without URLs: its files are read by views that ask
    the rules first. Asking for a URL is a bug that would leak the file."""

    def url(self, name):
        raise ValueError(
            f"{name} is private: serve it through a view that checks permission."
        )


class StorageAlias(Storage):
    """settings.STORAGES[alias], looked up on every use: a FileField keeps the
    storage it was given when its model is defined, before a test or a deployment
    script has chosen where the files go."""

    def __init__(self, alias: str) -> None:
        self.alias = alias

    def _open(self, name, mode="rb"):
        return storages[self.alias]._open(name, mode)

    def _save(self, name, content):
        return storages[self.alias]._save(name, content)

    def delete(self, name):
        return storages[self.alias].delete(name)

    def exists(self, name):
        return storages[self.alias].exists(name)

    def listdir(self, path):
        return storages[self.alias].listdir(path)

    def size(self, name):
        return storages[self.alias].size(name)

    def path(self, name):
        return storages[self.alias].path(name)

    def url(self, name):
        return storages[self.alias].url(name)

    def get_valid_name(self, name):
        return storages[self.alias].get_valid_name(name)

    def get_available_name(self, name, max_length=None):
        return storages[self.alias].get_available_name(name, max_length)
