"""
Built-in knowledge of exception classes of more libraries pipeline code calls, by dotted path
(never imported): SQLAlchemy's ORM session (optimistic locking, detached and unmapped objects, a
session left in a failed transaction), NumPy, pydantic-settings, PyCryptodome and PyNaCl. Merged
into :data:`~.knowledge_types.TYPES`.
"""

from __future__ import annotations

from airflow_errorguard.classification.knowledge_entry import C, D, Entry, T


def _many(module: str, names: str, entry: Entry) -> dict[str, Entry]:
    return {f"{module}.{name}": entry for name in names.split()}


_ORM = "sqlalchemy.orm.exc"

PIPELINE_TYPES: dict[str, Entry] = {
    # --- SQLAlchemy ORM ---------------------------------------------------------------------------
    # version_id_col or an UPDATE/DELETE that matched no row: another writer got there first; a
    # re-run reads the current row.
    f"{_ORM}.StaleDataError": (
        T,
        0.75,
        "means another writer changed or deleted the row first (optimistic lock)",
    ),
    f"{_ORM}.ObjectDeletedError": (D, 0.75, "means the row behind a loaded object no longer exists"),
    f"{_ORM}.DetachedInstanceError": (
        C,
        0.9,
        "means an object was used after its session closed (a lazy load or expired attribute: a defect)",
    ),
    **_many(
        _ORM,
        "UnmappedInstanceError UnmappedClassError UnmappedColumnError UnmappedError",
        (C, 0.9, "means the code passed the ORM something that is not mapped"),
    ),
    f"{_ORM}.FlushError": (C, 0.8, "means the session cannot flush what the code put in it"),
    "sqlalchemy.exc.NoInspectionAvailable": (
        C,
        0.85,
        "means the code passed the ORM something it cannot inspect",
    ),
    "sqlalchemy.exc.PendingRollbackError": (
        C,
        0.85,
        "means the session was reused after a failed flush without a rollback (the first error is the cause)",
    ),
    # The base of the ORM's "you asked for something invalid" errors (attached to another session,
    # unknown property, bad loader option); its known subclasses have entries of their own.
    "sqlalchemy.exc.InvalidRequestError": (C, 0.75, "means the code asked SQLAlchemy for something invalid"),
    # --- NumPy ------------------------------------------------------------------------------------
    **dict.fromkeys(
        ("numpy.exceptions.AxisError", "numpy.AxisError", "numpy.core._exceptions.AxisError"),
        (C, 0.8, "means the code names an axis the array does not have"),
    ),
    # --- multiprocessing: the manager process could not serve the call (an unregistered typeid, a
    # method not exposed); a proxied method's own exception is re-raised as itself instead.
    "multiprocessing.managers.RemoteError": (
        C,
        0.75,
        "means the manager process refused the call (an unregistered type or method)",
    ),
    # --- pydantic-settings: a settings source refused (a JSON value, a secrets directory) ---------
    # Outranks the parse error it wraps (JSONDecodeError, 0.95): the text parsed was a setting.
    "pydantic_settings.exceptions.SettingsError": (C, 0.96, "means a settings source could not be read"),
    # --- PyCryptodome and PyNaCl: a key that does not fit --------------------------------------------
    **_many(
        "Crypto",
        "IncorrectPassphraseError PassphraseRequiredError",
        (C, 0.92, "means the private key's passphrase is wrong or missing"),
    ),
    # Authenticated decryption failed: another key (a mismatch or rotation) far more often than an
    # altered ciphertext, as for Fernet's InvalidToken. nacl's ValueError/TypeError subclasses of it
    # match their built-in class first.
    "nacl.exceptions.CryptoError": (C, 0.8, "means decryption failed: another key, or an altered ciphertext"),
}
