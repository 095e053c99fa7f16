"""Private PostGIS cluster and Redis under var/ for zero-configuration runs.

`make run` and `make test` call `python -m config.local_services up`: for each of
DATABASE_URL and CELERY_BROKER_URL that is unset it starts a private server bound to
127.0.0.1 and prints the shell assignments that point the platform at it. PostgreSQL
refuses to run as root, so when root starts it the cluster belongs to an unprivileged
system user. This module must not import Django: it runs before Django can start.
"""

import argparse
import contextlib
import hashlib
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
PG_DIR = VAR_DIR / "postgres"
REDIS_DIR = VAR_DIR / "redis"
# Ports derive from the checkout's path so that two checkouts on one machine each get
# servers of their own.
_CHECKOUT_OFFSET = (
    int(hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8], 16) % 5000
)
PG_PORT = int(os.environ.get("LOCAL_PG_PORT") or 40000 + _CHECKOUT_OFFSET)
REDIS_PORT = int(os.environ.get("LOCAL_REDIS_PORT") or 45000 + _CHECKOUT_OFFSET)
DATABASE_NAME = "renewal"
SERVICE_USERS = ("postgres", "nobody")


class SetupError(Exception):
    """A problem a person must fix; the message says how."""


def private_database_url() -> str:
    return f"postgis://postgres@127.0.0.1:{PG_PORT}/{DATABASE_NAME}"


def private_broker_url() -> str:
    return f"redis://127.0.0.1:{REDIS_PORT}/0"


def _postgres_bindir() -> Path:
    """The newest installed PostgreSQL server that also has PostGIS."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name),
        reverse=True,
    )
    for initdb in candidates:
        version = initdb.parent.parent.name
        if Path(f"/usr/share/postgresql/{version}/extension/postgis.control").exists():
            return initdb.parent
    if candidates:
        version = candidates[0].parent.parent.name
        raise SetupError(
            f"PostGIS is not installed for PostgreSQL {version}: run `make setup` "
            f"(or `apt-get install postgresql-{version}-postgis-3`)."
        )
    raise SetupError(
        "PostgreSQL is not installed: run `make setup` (or `apt-get install "
        "postgresql postgresql-15-postgis-3`), or set DATABASE_URL to an existing server."
    )


def service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in SERVICE_USERS:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise SetupError(
        "No unprivileged user to run PostgreSQL as: create a `postgres` user."
    )


def _as_user(user: str | None, command: list[str]) -> list[str]:
    return command if user is None else ["runuser", "-u", user, "--", *command]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, text=True, **kwargs)


def _prepare_cluster_dir(user: str | None) -> Path:
    """var/postgres, owned by the user who runs the server.

    When root runs a checkout that the service user cannot reach (a private home or
    a mktemp directory), the cluster lives in /var/lib/renewal-platform and
    var/postgres links to it.
    """
    VAR_DIR.mkdir(exist_ok=True)
    if PG_DIR.exists() or PG_DIR.is_symlink():
        return PG_DIR.resolve()
    if user is None:
        PG_DIR.mkdir()
        return PG_DIR
    reachable = subprocess.run(
        ["runuser", "-u", user, "--", "test", "-x", str(VAR_DIR)]
    )
    if reachable.returncode == 0:
        target = PG_DIR
    else:
        digest = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12]
        target = Path("/var/lib/renewal-platform") / digest
        target.parent.mkdir(parents=True, exist_ok=True)
        PG_DIR.symlink_to(target)
    target.mkdir(exist_ok=True)
    shutil.chown(target, user=user)
    return target


def postgres_up() -> str:
    user = service_user()
    postgres_cluster_start(cluster=_prepare_cluster_dir(user), port=PG_PORT, user=user)
    postgres_database_create(port=PG_PORT, name=DATABASE_NAME)
    return private_database_url()


def postgres_cluster_start(*, cluster: Path, port: int, user: str | None) -> None:
    """Start the cluster under `cluster` (its data in `data`, created if new) on
    `port` of 127.0.0.1, as `user` (None: this process's user)."""
    bindir = _postgres_bindir()
    data = cluster / "data"
    if not (data / "PG_VERSION").exists():
        print(
            f"Creating a private PostgreSQL cluster in {cluster} ...", file=sys.stderr
        )
        _run(
            _as_user(
                user,
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
            )
        )
    status = subprocess.run(
        _as_user(user, [str(bindir / "pg_ctl"), "-D", str(data), "status"]),
        capture_output=True,
    )
    if status.returncode == 0 and _running_port(data) != port:
        # Started earlier on another port (LOCAL_PG_PORT changed): restart on ours.
        postgres_cluster_stop(cluster=cluster, user=user)
        status = subprocess.CompletedProcess(status.args, returncode=3)
    if status.returncode != 0:
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {shlex.quote(str(cluster))}"
        )
        started = subprocess.run(
            _as_user(
                user,
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(cluster / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "start",
                ],
            ),
            capture_output=True,
            text=True,
        )
        if started.returncode != 0:
            log_tail = _tail(cluster / "server.log")
            raise SetupError(
                f"The private PostgreSQL did not start on port {port} "
                f"(is the port taken? set LOCAL_PG_PORT): {log_tail}"
            )


def postgres_cluster_stop(*, cluster: Path, user: str | None) -> None:
    """Stop the cluster under `cluster`, if it runs; its sessions end."""
    data = cluster / "data"
    subprocess.run(
        _as_user(
            user, [str(_postgres_bindir() / "pg_ctl"), "-D", str(data), "-w", "stop"]
        ),
        capture_output=True,
    )


def _running_port(data: Path) -> int | None:
    # The fourth line of postmaster.pid is the port the server listens on.
    try:
        return int((data / "postmaster.pid").read_text().splitlines()[3])
    except (OSError, IndexError, ValueError):
        return None


def postgres_database_create(*, port: int, name: str) -> None:
    """Create the database `name`, with PostGIS, unless it exists."""
    import psycopg

    dsn = f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=5"
    try:
        connection = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as error:
        raise SetupError(
            f"The private PostgreSQL on port {port} does not answer ({error}); "
            "`make clean-local` stops it, or set LOCAL_PG_PORT."
        )
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(dsn.replace("dbname=postgres", f"dbname={name}")) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def redis_up() -> str:
    server = shutil.which("redis-server")
    if server is None:
        raise SetupError(
            "Redis is not installed: run `make setup` (or `apt-get install redis-server`), "
            "or set CELERY_BROKER_URL to an existing broker."
        )
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    if not _redis_answers():
        _stop_private_redis()  # one left running on another port
        _run(
            [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(REDIS_PORT),
                "--daemonize",
                "yes",
                "--pidfile",
                str(REDIS_DIR / "redis.pid"),
                "--logfile",
                str(REDIS_DIR / "redis.log"),
                "--dir",
                str(REDIS_DIR),
                "--save",
                "",
                "--appendonly",
                "no",
            ]
        )
        for _ in range(50):
            if _redis_answers():
                break
            time.sleep(0.1)
        else:
            raise SetupError(
                f"The private Redis did not start on port {REDIS_PORT} "
                f"(is the port taken? set LOCAL_REDIS_PORT): {_tail(REDIS_DIR / 'redis.log')}"
            )
    return private_broker_url()


def _redis_answers() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def down() -> None:
    if PG_DIR.exists():
        postgres_cluster_stop(cluster=PG_DIR.resolve(), user=service_user())
    _stop_private_redis()


def _stop_private_redis() -> None:
    pidfile = REDIS_DIR / "redis.pid"
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        for _ in range(50):
            if not pidfile.exists():
                break
            time.sleep(0.1)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "no log written"


def up() -> dict[str, str]:
    """Start what is not configured; return the environment that points at it."""
    environment = {}
    if not os.environ.get("DATABASE_URL"):
        environment["DATABASE_URL"] = postgres_up()
    if not os.environ.get("CELERY_BROKER_URL"):
        environment["CELERY_BROKER_URL"] = redis_up()
    return environment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            for name, value in up().items():
                print(f"export {name}={shlex.quote(value)}")
        else:
            down()
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(
            f"error: {shlex.join(error.cmd)} failed: {error.stderr.strip()}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
