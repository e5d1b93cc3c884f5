"""
Built-in knowledge of Oracle error codes, as python-oracledb (thin and thick) and cx_Oracle keep them
in the error object of ``args[0]`` (``full_code``: ``ORA-01017``, ``DPY-6005``, ``DPI-1047``):
the server's ``ORA-`` numbers, and the driver's ``DPY-`` numbers, whose thousands follow the driver's
own PEP 249 mapping (1xxx interface misuse, 2xxx programming errors, 3xxx unsupported features).
Each entry is ``code: (category, confidence, explanation)``.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, S, T


def _many(codes: str, entry: Entry) -> dict[str, Entry]:
    return {code: entry for code in codes.split()}


#: Exact Oracle and python-oracledb codes.
ORACLE_CODE: dict[str, Entry] = {
    # --- the server's constraint and value errors ----------------------------------------------
    **_many("ORA-00001", (D, 0.9, "(unique constraint violated)")),
    **_many("ORA-02290 ORA-02291 ORA-02292", (D, 0.9, "(a check or foreign-key constraint violated)")),
    **_many("ORA-01400 ORA-01407", (D, 0.9, "(NULL into a NOT NULL column)")),
    **_many("ORA-12899 ORA-01438 ORA-01401", (D, 0.9, "(a value too large for its column)")),
    **_many("ORA-01722 ORA-06502 ORA-01476", (D, 0.85, "(an invalid number or value, or division by zero)")),
    **_many("ORA-01830 ORA-01843 ORA-01847 ORA-01858 ORA-01861", (D, 0.85, "(a date does not match)")),
    **_many("ORA-01403 ORA-01422", (D, 0.7, "(a query returned no row or too many rows)")),
    # --- the statement or the setup ------------------------------------------------------------
    **_many("ORA-00942 ORA-04043 ORA-00904 ORA-06550", (C, 0.9, "(a table, object or column not found)")),
    **_many("ORA-00900 ORA-00933 ORA-00936 ORA-00907", (C, 0.9, "(invalid SQL)")),
    **_many("ORA-01031 ORA-01045 ORA-01950", (C, 0.95, "(insufficient privileges)")),
    **_many(
        "ORA-01017 ORA-28000 ORA-28001 ORA-01005", (C, 0.95, "(credentials rejected, or the account locked)")
    ),
    **_many("ORA-12514 ORA-12505 ORA-12154", (C, 0.85, "(the service, SID or alias is unknown)")),
    # --- the server's state and the link ------------------------------------------------------
    **_many(
        "ORA-00060 ORA-00054 ORA-08177", (T, 0.9, "(a deadlock, a busy resource or a serialization conflict)")
    ),
    **_many(
        "ORA-00018 ORA-00020 ORA-12516 ORA-12519 ORA-12520", (T, 0.85, "(no session or process free now)")
    ),
    **_many(
        "ORA-03113 ORA-03114 ORA-03135 ORA-12537 ORA-12541 ORA-12170 ORA-12571 ORA-01033 ORA-01034 ORA-01089",
        (T, 0.9, "(the link broke, or the instance is starting or stopping)"),
    ),
    **_many("ORA-01013 ORA-03156", (T, 0.8, "(the call was cancelled or timed out)")),
    **_many(
        "ORA-01652 ORA-01653 ORA-01654 ORA-30036 ORA-04031",
        (S, 0.85, "(the database is out of space or memory)"),
    ),
    # --- python-oracledb's own errors ----------------------------------------------------------
    **_many(
        "DPY-4000 DPY-4017 DPY-4018 DPY-4021 DPY-4026 DPY-4027 DPY-4030",
        (C, 0.9, "(the connect string or its configuration is unusable)"),
    ),
    **_many("DPY-4001 DPY-4034 DPY-4032", (C, 0.9, "(credentials or TLS settings missing or invalid)")),
    **_many("DPY-4008 DPY-4009 DPY-4010", (C, 0.85, "(binds do not match the statement)")),
    **_many(
        "DPY-4002 DPY-4004 DPY-4012 DPY-4013 DPY-4014 DPY-4015 DPY-4016 DPY-4038",
        (D, 0.85, "(a value cannot be converted)"),
    ),
    **_many(
        "DPY-4005 DPY-4011 DPY-4024",
        (T, 0.85, "(the pool is exhausted, the link closed, or the call timed out)"),
    ),
    **_many(
        "DPY-6000 DPY-6001 DPY-6003 DPY-6006",
        (C, 0.85, "(the listener does not know the service, SID or host name)"),
    ),
    **_many("DPY-6002 DPY-6008", (C, 0.85, "(the server certificate does not match)")),
    "DPY-6005": (T, 0.7, "(cannot connect to the database)"),
    "DPI-1047": (C, 0.95, "(the Oracle Client library cannot be loaded)"),
}

#: A ``DPY-`` code's thousands, as python-oracledb maps them to PEP 249 classes.
DPY_THOUSANDS: dict[int, Entry] = {
    1: (C, 0.75, "(the driver's interface was used wrongly)"),
    2: (C, 0.8, "(a programming error in the call)"),
    3: (C, 0.8, "(a feature the server or driver mode does not support)"),
}


def oracle_entry(code: str) -> Entry | None:
    """The entry of an Oracle or python-oracledb code (``ORA-01017``, ``DPY-2011``), if known."""
    entry = ORACLE_CODE.get(code)
    if entry is None and code.startswith("DPY-") and code[4:].isdigit():
        entry = DPY_THOUSANDS.get(int(code[4:]) // 1000)
    return entry


__all__ = ["DPY_THOUSANDS", "ORACLE_CODE", "oracle_entry"]
