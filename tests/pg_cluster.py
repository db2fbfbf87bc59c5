"""Starts and stops a throwaway PostgreSQL cluster for the test suite (no mocks of the database)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class ClusterUnavailable(RuntimeError):
    """pg_ctl/initdb cannot be found or the cluster will not start."""


def find_bindir() -> Path:
    """The PostgreSQL server binaries: PG_BINDIR, PATH, or Debian's /usr/lib/postgresql/*/bin."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for path in reversed(candidates):
        if (Path(path) / "initdb").exists():
            return Path(path)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl and (Path(pg_ctl).resolve().parent / "initdb").exists():
        return Path(pg_ctl).resolve().parent
    raise ClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    bindir: Path
    datadir: Path
    port: int
    user: str
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        # initdb refuses to run as root: drop to an unprivileged account.
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def stop(self) -> None:
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_cluster() -> Cluster:
    bindir = find_bindir()
    run_as = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                run_as = name
                break
            except KeyError:
                continue
        if run_as is None:
            raise ClusterUnavailable("running as root and no 'postgres' or 'nobody' user to run initdb as")
    base = Path(tempfile.mkdtemp(prefix="demogen-pg-"))
    datadir = base / "data"
    if run_as:
        os.chmod(base, 0o777)
        shutil.chown(base, user=run_as)
    cluster = Cluster(bindir, datadir, _free_port(), "demogen", run_as)
    init = subprocess.run(
        cluster._cmd(
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            cluster.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ),
        capture_output=True,
        text=True,
    )
    if init.returncode:
        raise ClusterUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
    options = (
        f"-p {cluster.port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
        "-c shared_buffers=256MB -c work_mem=64MB -c maintenance_work_mem=256MB"
    )
    start = subprocess.run(
        cluster._cmd(
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            options,
            "-l",
            str(base / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        ),
        capture_output=True,
        text=True,
    )
    if start.returncode:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        raise ClusterUnavailable(f"pg_ctl start failed: {start.stderr.strip()} {log[-500:]}")
    return cluster
