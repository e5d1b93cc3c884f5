"""Airflow's SSH and SFTP providers as tasks use them, raised live: ``SSHHook``/``SSHOperator`` and
``SFTPHook``/``SFTPOperator`` against an in-process paramiko server that runs commands (``exit N``,
``sleep``) and serves SFTP over a private folder. Connections come from ``AIRFLOW_CONN_<ID>``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.providers.sftp.hooks.sftp import SFTPHook
from airflow.providers.sftp.operators.sftp import SFTPOperator
from airflow.providers.ssh.hooks.ssh import SSHHook
from airflow.providers.ssh.operators.ssh import SSHOperator

from tests.corpus.fam_providers import _connections
from tests.corpus.model import C, D, Family, T, U
from tests.corpus.rawservers import serve
from tests.corpus.servers import free_port
from tests.corpus.sshserver import SSHServer

NEEDS_TMP = True


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
