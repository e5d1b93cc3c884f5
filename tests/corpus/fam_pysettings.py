"""
Typed settings as a pipeline loads them at start: pydantic-settings ``BaseSettings`` from the
environment, ``.env`` files, secrets directories, nested JSON values and JSON, TOML and YAML settings
files; python-dotenv beside it.
Every failure here is a deployment setting, whatever class carries it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dotenv
import pydantic
import pydantic_settings as ps

from tests.corpus.model import C, Family

NEEDS_TMP = True


class _Warehouse(ps.BaseSettings):
    model_config = ps.SettingsConfigDict(env_prefix="EGTEST_WH_")
    dsn: pydantic.PostgresDsn
    port: int = 5432
    tables: list[str] = []
    timeout: pydantic.PositiveFloat = 30.0


def _with_env(env: dict[str, str], fn: Any) -> Any:
    def go() -> Any:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            return fn()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    return go


def build(family: Family, closing: list[Any], tmp: Path) -> None:
    dsn = {"EGTEST_WH_DSN": "postgresql://etl@db:5432/wh"}
    family.add("missing-env", _with_env({}, _Warehouse), C, "a required setting is not in the environment")
    family.add(
        "bad-int",
        _with_env({**dsn, "EGTEST_WH_PORT": "54 32"}, _Warehouse),
        C,
        "a port variable that is not a number",
    )
    family.add(
        "bad-dsn",
        _with_env({"EGTEST_WH_DSN": "mysql://etl@db/wh"}, _Warehouse),
        C,
        "a DSN with the wrong scheme",
    )
    family.add(
        "bad-json",
        _with_env({**dsn, "EGTEST_WH_TABLES": "[orders,"}, _Warehouse),
        C,
        "SettingsError: a complex setting whose JSON does not parse",
    )
    family.add(
        "negative-timeout",
        _with_env({**dsn, "EGTEST_WH_TIMEOUT": "-1"}, _Warehouse),
        C,
        "a timeout below zero",
    )
    envfile = tmp / "wh.env"
    envfile.write_text("EGTEST_WH_DSN=postgresql://etl@db/wh\nEGTEST_WH_PORT=five\n")
    family.add("dotenv-bad", lambda: _Warehouse(_env_file=envfile), C, "a .env file with a bad value")  # type: ignore[call-arg]

    class _Strict(ps.BaseSettings):
        model_config = ps.SettingsConfigDict(env_file=str(envfile), extra="forbid", env_prefix="EGTEST_ST_")
        name: str = "x"

    family.add("dotenv-extra", _Strict, C, "extra='forbid' and a .env with unknown keys")
    secrets = tmp / "secrets"
    secrets.mkdir()
    (secrets / "egtest_wh_port").write_text("not-a-port")
    family.add(
        "secrets-dir",
        _with_env(dsn, lambda: _Warehouse(_secrets_dir=secrets)),  # type: ignore[call-arg]
        C,
        "a mounted secret file with a bad value",
    )

    class _Toml(ps.BaseSettings):
        model_config = ps.SettingsConfigDict(toml_file=str(tmp / "wh.toml"))
        port: int = 1

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, *args: Any, **kwargs: Any) -> Any:
            return (ps.TomlConfigSettingsSource(settings_cls),)

    (tmp / "wh.toml").write_text("port = [1\n")
    family.add("toml-source", _Toml, C, "a settings TOML file that does not parse")

    class _Json(ps.BaseSettings):
        model_config = ps.SettingsConfigDict(json_file=str(tmp / "wh.json"))
        port: int = 1

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, *args: Any, **kwargs: Any) -> Any:
            return (ps.JsonConfigSettingsSource(settings_cls),)

    (tmp / "wh.json").write_text('{"port": 5432,}')
    family.add("json-source", _Json, C, "a settings JSON file that does not parse (JSONDecodeError)")

    class _Yaml(ps.BaseSettings):
        model_config = ps.SettingsConfigDict(yaml_file=str(tmp / "wh.yaml"))
        port: int = 1

        @classmethod
        def settings_customise_sources(cls, settings_cls: Any, *args: Any, **kwargs: Any) -> Any:
            return (ps.YamlConfigSettingsSource(settings_cls),)

    (tmp / "wh.yaml").write_text("port: 5432\n\tdsn: x\n")
    family.add("yaml-source", _Yaml, C, "a settings YAML file that does not parse (yaml ScannerError)")
    (tmp / "bad.env").write_bytes(b"A=\xff\xfe\n")
    family.add(
        "dotenv-encoding",
        lambda: dotenv.dotenv_values(tmp / "bad.env", encoding="utf-8"),
        C,
        "a .env file in the wrong encoding",
    )
    family.add(
        "dotenv-missing-var",
        _with_env({}, lambda: _Warehouse(_env_file=tmp / "absent.env")),  # type: ignore[call-arg]
        C,
        "an env_file that does not exist, so the required DSN is missing",
    )
