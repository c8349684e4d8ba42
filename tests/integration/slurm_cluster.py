"""A real single-node SLURM (munged + slurmctld + slurmd from Debian's packages) for tests.

Everything lives in a temporary directory (munge key and socket, slurm.conf, state, spool, logs);
the daemons run in the foreground as children of this process and are stopped by their pids, so
nothing else on the machine is touched. Installs the packages with apt-get when they are missing
and this is root; otherwise `unavailable()` gives the reason to skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from apt import apt_install

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
PROGRAMS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"]


def _missing() -> list[str]:
    return [p for p in PROGRAMS if shutil.which(p) is None]


def unavailable() -> str | None:
    """Why a SLURM cluster cannot be started here (None if it can; installs packages if root)."""
    if not _missing():
        return None
    why = apt_install(PACKAGES, f"SLURM/munge ({', '.join(_missing())} missing)")
    if why is not None:
        return why
    return f"still missing after apt-get: {', '.join(_missing())}" if _missing() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _real_memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 * 9 // 10
    raise RuntimeError("no MemTotal in /proc/meminfo")


class SlurmCluster:
    """munged, slurmctld and slurmd started under a temporary directory; `env` points clients at it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="sim-slurm-"))
        self.root.chmod(0o755)  # munged (user munge) must reach its directory
        self.conf = self.root / "slurm.conf"
        self.host = socket.gethostname().split(".")[0]
        self.cpus = max(2, len(os.sched_getaffinity(0)))  # 2 ranks per point even on 1 core
        self.processes: list[subprocess.Popen] = []
        self.env = os.environ | {"SLURM_CONF": str(self.conf)}

    def _write_munge_key(self) -> Path:
        munge = pwd.getpwnam("munge")
        folder = self.root / "munge"
        folder.mkdir()
        folder.chmod(0o755)  # munged: the socket directory must be searchable by all
        key = folder / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o400)
        for path in (folder, key):
            os.chown(path, munge.pw_uid, munge.pw_gid)
        return folder

    def _write_conf(self, munge_socket: Path) -> None:
        for sub in ("state", "spool"):
            (self.root / sub).mkdir()
        r = self.root
        self.conf.write_text(f"""\
ClusterName=simtest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation={r / "state"}
SlurmdSpoolDir={r / "spool"}
SlurmctldPidFile={r / "slurmctld.pid"}
SlurmdPidFile={r / "slurmd.pid"}
SlurmctldLogFile={r / "slurmctld.log"}
SlurmdLogFile={r / "slurmd.log"}
NodeName={self.host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={_real_memory_mb()} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")

    def _start(self, args: list[str], **kwargs) -> None:
        log = open(self.root / f"{Path(args[0]).name}.out", "w")  # noqa: SIM115 - owned by the Popen
        self.processes.append(
            subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env, **kwargs)
        )

    def start(self, timeout: float = 60) -> None:
        """Start the daemons and wait until the node accepts jobs (raises on timeout)."""
        folder = self._write_munge_key()
        munge_socket = folder / "munge.socket.2"
        self._write_conf(munge_socket)
        self._start(
            [
                "munged",
                "-F",
                f"--socket={munge_socket}",
                f"--key-file={folder / 'munge.key'}",
                f"--pid-file={folder / 'munged.pid'}",
                f"--log-file={folder / 'munged.log'}",
                f"--seed-file={folder / 'munged.seed'}",
            ],
            user="munge",
        )
        self._wait(lambda: munge_socket.exists(), timeout, "munged socket")
        self._start(["slurmctld", "-D", "-f", str(self.conf)])
        self._start(["slurmd", "-D", "-f", str(self.conf)])
        self._wait(self._node_idle, timeout, "node idle in sinfo")

    def _node_idle(self) -> bool:
        result = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%T"], env=self.env, capture_output=True, text=True
        )
        return result.returncode == 0 and result.stdout.strip().startswith("idle")

    def _wait(self, ready, timeout: float, what: str) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            dead = [p.args[0] for p in self.processes if p.poll() is not None]
            if dead:
                raise RuntimeError(f"{', '.join(dead)} exited; logs: {self.logs()}")
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}; logs: {self.logs()}")

    def logs(self) -> str:
        """The tails of the daemon logs (for failure messages)."""
        parts = []
        for path in sorted(self.root.rglob("*.log")) + sorted(self.root.glob("*.out")):
            tail = path.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop exactly the daemons this object started (newest first), then remove the directory."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)
