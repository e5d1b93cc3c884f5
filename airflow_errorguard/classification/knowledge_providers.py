"""
Built-in knowledge of what Airflow's providers raise with nothing but a message (a bare
``AirflowException``, ``ValueError`` or a ``CalledProcessError`` of a command they build), for
failures whose class and codes say nothing: message patterns appended to
:data:`~.knowledge_messages.MESSAGES`. Each pattern is the provider's own fixed wording, read in its
source (ssh, smtp, redis, standard); where the chain holds a library's error with a code or a class
that is known, that decides first. A backtick in their wording is matched by ``.`` (the generated
reference table shows patterns in code spans).
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, Entry

PROVIDER_MESSAGES: tuple[tuple[str, Entry], ...] = (
    (
        # ssh provider, SSHHook: the connection's private_key / host_key extras and a missing command.
        r"key must have begin and end header/footer|private key provided cannot be read by paramiko|"
        r"unsupported ssh host key algorithm|dsa/dss host keys are not supported|"
        r"ssh host key .{0,200}? is missing key data|must check host key when provided|"
        r"host key check was skipped, but .host_key.|ssh command not specified",
        (C, 0.88, "says the SSH connection's key settings or the task's command are wrong"),
    ),
    (
        # smtp provider, SmtpHook.send_email_smtp / get_conn: a setting neither the call nor the
        # connection gives.
        r"you should provide .\w+. or define|smtp connection is not found|"
        r"smtp_user or from_email must be set",
        (C, 0.88, "says the SMTP connection or the call lacks a setting it needs"),
    ),
    (
        # redis provider, RedisHook.get_conn: cluster mode with a db other than 0.
        r"redis in cluster mode only supports database 0|remove .\w+. from the connection extra",
        (C, 0.88, "says the connection's extra holds a setting the service does not support"),
    ),
    (
        # standard provider, PythonOperator / PythonVirtualenvOperator / ExternalPythonOperator:
        # the callable, the interpreter path or the Python version given to the task.
        r".python_callable. param must be callable|only supports functions for python_callable|"
        r"does not support using 'yield' in python_callable|"
        r"python path '.{0,300}?' must (?:exists|be a file|be an absolute path)|"
        r"^error while executing command \[|passing op_args or op_kwargs is not supported across|"
        r"passing non-string types .{0,40}? as python_version",
        (C, 0.88, "says the task's callable, Python interpreter or version setting is wrong"),
    ),
    (
        # standard provider, SkipMixin.skip_all_except (BranchPythonOperator and the other branch
        # operators): the branch callable named tasks the Dag does not have.
        r"'branch_task_ids' must contain only valid task_ids|unable to branch to the specified tasks|"
        r"'branch_task_ids' must be either none",
        (C, 0.9, "says the branch callable returned task ids the Dag does not have"),
    ),
    (
        # standard provider's utils.python_virtualenv: the CalledProcessError of the commands that
        # build a task's virtual environment (uv venv, python -m venv, uv pip / pip install).
        r"^command '\[(?:'uv', 'venv', |'uv', 'pip', 'install', |'[^']*/bin/pip', 'install', |"
        r"'[^']*', '-m', 'venv', )",
        (C, 0.75, "says building the task's virtual environment failed (its requirements or Python)"),
    ),
    (
        # ObjectStoragePath (universal_pathlib) and fsspec: a URL scheme with no filesystem.
        r"^unsupported filesystem: '|^protocol not known: ",
        (C, 0.9, "says no filesystem is installed or known for the path's URL scheme"),
    ),
)
