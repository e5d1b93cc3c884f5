"""Airflow's SSH and SFTP providers as tasks use them, raised live: ``SSHHook``/``SSHOperator`` and
``SFTPHook``/``SFTPOperator`` against an in-process paramiko server that runs commands (``exit N``,
``sleep``) and serves SFTP over a private folder. Connections come from ``AIRFLOW_CONN_<ID>``."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko
from airflow.providers.sftp.hooks.sftp import SFTPHook
from airflow.providers.sftp.operators.sftp import SFTPOperator
from airflow.providers.ssh.hooks.ssh import SSHHook
from airflow.providers.ssh.operators.ssh import SSHOperator

from tests.corpus.fam_providers import _connections
from tests.corpus.model import C, D, Family, T, U
from tests.corpus.rawservers import serve
from tests.corpus.servers import free_port

NEEDS_TMP = True


class _SFTP(paramiko.SFTPServerInterface):
    """SFTP over the folder ``ROOT`` (set per server); errors are the OS's, as a real sshd's."""

    ROOT = Path("/nonexistent")

    def _real(self, path: str) -> str:
        if path.lstrip("/").startswith("locked"):  # the corpus runs as root: deny as sshd's user would
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return str(self.ROOT / path.lstrip("/"))

    def _try(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno)

    def list_folder(self, path: str) -> Any:
        def run() -> list[paramiko.SFTPAttributes]:
            real = self._real(path)
            out = []
            for name in os.listdir(real):
                attr = paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(real, name)))
                attr.filename = name
                out.append(attr)
            return out

        return self._try(run)

    def stat(self, path: str) -> Any:
        return self._try(lambda: paramiko.SFTPAttributes.from_stat(os.stat(self._real(path))))

    lstat = stat

    def open(self, path: str, flags: int, attr: Any) -> Any:
        def run() -> paramiko.SFTPHandle:
            fd = os.open(self._real(path), flags, 0o644)
            mode = "wb" if flags & os.O_WRONLY else "r+b" if flags & os.O_RDWR else "rb"
            handle = paramiko.SFTPHandle(flags)
            handle.readfile = handle.writefile = os.fdopen(fd, mode)  # type: ignore[attr-defined]
            return handle

        return self._try(run)

    def remove(self, path: str) -> Any:
        return self._try(lambda: os.remove(self._real(path)) or paramiko.SFTP_OK)

    def mkdir(self, path: str, attr: Any) -> Any:
        return self._try(lambda: os.mkdir(self._real(path)) or paramiko.SFTP_OK)

    def rmdir(self, path: str) -> Any:
        return self._try(lambda: os.rmdir(self._real(path)) or paramiko.SFTP_OK)

    def canonicalize(self, path: str) -> str:
        return "/" + path.lstrip("/") if path not in {"", "."} else "/"


class _Server(paramiko.ServerInterface):
    def check_auth_password(self, username: str, password: str) -> int:
        ok = username == "etl" and password == "secret"
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return (
            paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_env_request(self, channel: Any, name: bytes, value: bytes) -> bool:
        return True

    def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
        """``exit N`` ends with status N; ``sleep N`` answers after N seconds; others print and exit 0."""
        words = command.decode().split()

        def run() -> None:
            # paramiko acknowledges the exec request after this method returns: answering before
            # that closes the channel under the client ("Channel closed."), which a real sshd never does.
            time.sleep(0.2)
            with contextlib.suppress(Exception):
                if words[:1] == ["exit"]:
                    channel.sendall_stderr(b"failed\n")
                    channel.send_exit_status(int(words[1]))
                elif words[:1] == ["sleep"]:
                    time.sleep(float(words[1]))
                    channel.send_exit_status(0)
                else:
                    channel.sendall(b"ok\n")
                    channel.send_exit_status(0)
                channel.close()

        threading.Thread(target=run, daemon=True).start()
        return True


class SSHServer:
    """paramiko on a free port: password auth ``etl``/``secret``, exec, SFTP over *root*."""

    def __init__(self, root: Path) -> None:
        self.key = paramiko.ECDSAKey.generate()
        self.sftp = type("_RootedSFTP", (_SFTP,), {"ROOT": root})
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.transports: list[paramiko.Transport] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, self.sftp)
            self.transports.append(transport)
            with contextlib.suppress(Exception):
                transport.start_server(server=_Server())

    def close(self) -> None:
        self.running = False
        self.sock.close()
        for transport in self.transports:
            transport.close()


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    for noisy in ("paramiko", "airflow.task.hooks", "airflow.task.operators", "airflow"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    root = tmp / "sftp-root"
    (root / "in").mkdir(parents=True)
    (root / "in" / "orders.csv").write_text("id,amount\n1,10\n")
    (root / "locked").mkdir()
    server = serve(closing, SSHServer(root))
    local = tmp / "local"
    local.mkdir()
    (local / "report.csv").write_text("id\n1\n")
    here = f"127.0.0.1:{server.port}"
    _connections(
        closing,
        eg_corpus_ssh=f"ssh://etl:secret@{here}?no_host_key_check=true",
        eg_corpus_ssh_badpw=f"ssh://etl:wrong@{here}?no_host_key_check=true",
        eg_corpus_ssh_strict=f"ssh://etl:secret@{here}?no_host_key_check=false&allow_host_key_change=false",
        eg_corpus_ssh_down=f"ssh://etl:secret@127.0.0.1:{free_port()}?no_host_key_check=true",
        eg_corpus_ssh_nohost="ssh://etl:secret@no-such-host.errorguard.invalid?no_host_key_check=true",
        eg_corpus_ssh_badkey=f"ssh://etl@{here}?no_host_key_check=true&private_key=not-a-key",
        eg_corpus_ssh_hostkey=f"ssh://etl:secret@{here}?host_key=AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
        eg_corpus_ssh_keyalg=f"ssh://etl:secret@{here}?host_key=ssh-foo%20AAAAB3NzaC1yc2E",
        eg_corpus_ssh_badkey2=json.dumps(
            {
                "conn_type": "ssh",
                "host": "127.0.0.1",
                "port": server.port,
                "login": "etl",
                "extra": {
                    "private_key": "-----BEGIN RSA PRIVATE KEY-----\nnot base64\n"
                    "-----END RSA PRIVATE KEY-----",
                },
            }
        ),
    )
    ssh_cases(family, local)


def ssh_cases(family: Family, local: Path) -> None:
    def command(cmd: str, conn: str = "eg_corpus_ssh", **kw: Any) -> Callable[[], Any]:
        return lambda: SSHOperator(task_id="remote", ssh_conn_id=conn, command=cmd, **kw).execute({})

    def connect(conn: str) -> Callable[[], Any]:
        return lambda: SSHHook(ssh_conn_id=conn, conn_timeout=2, banner_timeout=2).get_conn()

    def sftp(method: str, *args: Any) -> Callable[[], Any]:
        return lambda: getattr(SFTPHook(ssh_conn_id="eg_corpus_ssh"), method)(*args)

    def transfer(operation: str, local_path: Path, remote: str) -> Callable[[], Any]:
        task = SFTPOperator(
            task_id="move",
            ssh_conn_id="eg_corpus_ssh",
            local_filepath=str(local_path),
            remote_filepath=remote,
            operation=operation,
        )
        return lambda: task.execute({})

    for name, run, accept, why in (
        ("ssh-exit-1", command("exit 1"), {U, D, T}, "SSHOperator 'exit status = 1': nothing says which"),
        ("ssh-exit-127", command("exit 127"), C, "exit status 127: the remote command is not installed"),
        ("ssh-exit-126", command("exit 126"), C, "exit status 126: the remote command is not executable"),
        ("ssh-cmd-timeout", command("sleep 3", cmd_timeout=0.5), T, "'SSH command timed out' (cmd_timeout)"),
        ("ssh-auth", connect("eg_corpus_ssh_badpw"), C, "paramiko AuthenticationException: wrong password"),
        ("ssh-refused", connect("eg_corpus_ssh_down"), T, "nothing listens on the connection's port"),
        ("ssh-unknown-host", connect("eg_corpus_ssh_nohost"), C, "the connection's host does not resolve"),
        (
            "ssh-host-key-unknown",
            connect("eg_corpus_ssh_strict"),
            C,
            "no_host_key_check=false and the server's key is not in known_hosts",
        ),
        ("ssh-bad-private-key", connect("eg_corpus_ssh_badkey"), C, "extra private_key is not a key"),
        ("ssh-bad-host-key", connect("eg_corpus_ssh_hostkey"), C, "extra host_key is not a valid key"),
        ("ssh-host-key-type", connect("eg_corpus_ssh_keyalg"), C, "extra host_key of an unknown algorithm"),
        ("ssh-unreadable-key", connect("eg_corpus_ssh_badkey2"), C, "extra private_key paramiko cannot read"),
        ("ssh-no-conn-id", connect("eg_corpus_ssh_missing"), C, "AirflowNotFoundException: no conn_id"),
        ("ssh-no-command", command(None), C, "SSHOperator without a command: the task's definition"),
        (
            "sftp-missing-file",
            sftp("retrieve_file", "/in/missing.csv", str(local / "x")),
            {C, D},
            "no such remote file",
        ),
        ("sftp-missing-dir", sftp("list_directory_with_attr", "/nowhere"), {C, D}, "no such remote folder"),
        (
            "sftp-permission",
            sftp("list_directory_with_attr", "/locked"),
            C,
            "the remote folder is not readable",
        ),
        (
            "sftp-put-no-dir",
            sftp("store_file", "/nowhere/deep/r.csv", str(local / "report.csv")),
            C,
            "the remote target folder does not exist",
        ),
        (
            "sftp-delete-missing",
            sftp("delete_file", "/in/gone.csv"),
            {C, D},
            "deleting a remote file not there",
        ),
        (
            "sftp-op-get-missing",
            transfer("get", local / "got.csv", "/in/missing.csv"),
            {C, D},
            "SFTPOperator GET of a missing remote file (SFTPOperationError over the OSError)",
        ),
        (
            "sftp-op-put-locked",
            transfer("put", local / "report.csv", "/locked/report.csv"),
            C,
            "SFTPOperator PUT into a folder without write permission",
        ),
        (
            "sftp-op-put-missing-local",
            transfer("put", local / "absent.csv", "/in/absent.csv"),
            {C, D},
            "SFTPOperator PUT of a local file that does not exist",
        ),
    ):
        family.add(name, run, accept, why)
