"""Starts and stops the service's processes: the Dagster code server, webserver and daemon,
and the API. Used by `reports up` and by the test fixtures."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import yaml
from pydantic import SecretStr

from reports_pipeline.settings import Settings

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_TEMPLATE = PROJECT_ROOT / "dagster.yaml"
BIN_DIR = Path(sys.executable).parent


def instance_config(settings: Settings) -> dict[str, Any]:
    """Return the Dagster instance config: `dagster.yaml`, with SQLite storage under
    DAGSTER_HOME when no Dagster database URL is set."""
    config: dict[str, Any] = yaml.safe_load(INSTANCE_TEMPLATE.read_text(encoding="utf-8"))
    if settings.dagster_database_url is None:
        base = settings.dagster_home.resolve() / "storage"
        config["storage"] = {"sqlite": {"base_dir": str(base)}}
    return config


def prepare_dagster_home(settings: Settings) -> Path:
    """Write `dagster.yaml` and `workspace.yaml` under the configured DAGSTER_HOME."""
    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance_config(settings)), encoding="utf-8")
    workspace = {
        "load_from": [
            {
                "grpc_server": {
                    "host": "127.0.0.1",
                    "port": settings.dagster_code_server_port,
                    "location_name": settings.dagster_location_name,
                }
            }
        ]
    }
    (home / "workspace.yaml").write_text(yaml.safe_dump(workspace), encoding="utf-8")
    return home


def process_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for child processes: the settings as `REPORTS_*` variables, plus
    what Dagster reads itself."""
    env = dict(base if base is not None else os.environ)
    dumped = settings.model_dump(mode="json")
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
        elif isinstance(value, list):
            # List settings are read back comma-separated.
            text = ",".join(
                item.get_secret_value() if isinstance(item, SecretStr) else str(item)
                for item in value
            )
        else:
            text = str(dumped[name])
        env[f"REPORTS_{name.upper()}"] = text
    env["DAGSTER_HOME"] = str(settings.dagster_home.resolve())
    if settings.dagster_database_url:
        env["DAGSTER_PG_URL"] = settings.dagster_database_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


_RELOAD = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry {
      loadStatus
      locationOrLoadError { __typename ... on PythonError { message } }
    }
  }
}
"""


class CodeLocationError(RuntimeError):
    """The code location failed to load; the message carries Dagster's error."""


def reload_code_location(settings: Settings, timeout: float = 30.0) -> bool:
    """Ask the webserver to reload the code location; return whether it loaded cleanly.

    Raises `httpx.HTTPError` when the webserver cannot be reached and `CodeLocationError` when
    the code location itself fails to load.
    """
    response = httpx.post(
        f"http://127.0.0.1:{settings.dagster_port}/graphql",
        json={"query": _RELOAD, "variables": {"name": settings.dagster_location_name}},
        timeout=timeout,
    )
    response.raise_for_status()
    entry = response.json()["data"]["reloadRepositoryLocation"]
    error = entry.get("locationOrLoadError") or {}
    if error.get("__typename") == "PythonError":
        raise CodeLocationError(error.get("message", "the code location failed to load"))
    return bool(
        entry.get("loadStatus") == "LOADED"
        and entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"
    )


def _unignore_sigint() -> None:
    """Give SIGINT a handler when it is ignored, as under `nohup` or `&`.

    Children inherit an ignored signal across exec but not a handler, and the Dagster code
    server stops on SIGTERM by interrupting itself with SIGINT.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        except ValueError:
            logger.warning("SIGINT is ignored and cannot be reset outside the main thread")


def _wait_for_port(port: int, timeout: float, check: Callable[[], None]) -> None:
    """Wait until something accepts connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while True:
        check()
        with socket.socket() as probe:
            probe.settimeout(1)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s")
        time.sleep(0.2)


@dataclass
class Stack:
    """The running processes of one deployment on 127.0.0.1."""

    settings: Settings
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("ab")
        self._logs.append(log)
        logger.info("starting %s: %s", name, " ".join(command))
        self.processes[name] = subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, *, api: bool = True, daemon: bool = True, timeout: float = 120.0) -> None:
        """Start every process and wait until the webserver has loaded the code location."""
        _unignore_sigint()
        settings = self.settings
        home = prepare_dagster_home(settings)
        env = process_env(settings)
        workspace = str(home / "workspace.yaml")
        # Create or upgrade the instance storage once, before the webserver and the daemon
        # start; both would otherwise race to create the same tables.
        subprocess.run(
            [str(BIN_DIR / "dagster"), "instance", "migrate"],
            env=env,
            cwd=PROJECT_ROOT,
            check=True,
            capture_output=True,
        )
        self._spawn(
            "code-server",
            [
                str(BIN_DIR / "dagster"),
                "code-server",
                "start",
                "-m",
                "reports_pipeline.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(settings.dagster_code_server_port),
                "--location-name",
                settings.dagster_location_name,
            ],
            env,
        )
        _wait_for_port(settings.dagster_code_server_port, timeout, self._check_alive)
        self._spawn(
            "webserver",
            [
                str(BIN_DIR / "dagster-webserver"),
                "-h",
                "127.0.0.1",
                "-p",
                str(settings.dagster_port),
                "-w",
                workspace,
            ],
            env,
        )
        if daemon:
            self._spawn("daemon", [str(BIN_DIR / "dagster-daemon"), "run", "-w", workspace], env)
        if api:
            self._spawn(
                "api",
                [
                    str(BIN_DIR / "uvicorn"),
                    "reports_api.app:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(settings.api_port),
                    "--no-access-log",
                ],
                env,
            )
        self.wait_ready(timeout=timeout, api=api)

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                log = self.log_dir / f"{name}.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"{name} exited with code {process.returncode}:\n{tail}")

    def wait_ready(self, *, timeout: float, api: bool) -> None:
        deadline = time.monotonic() + timeout
        last_error = "the webserver did not answer"
        while True:
            self._check_alive()
            try:
                if reload_code_location(self.settings):
                    break
            except CodeLocationError as exc:
                # Expected while the code server starts; fatal if it persists.
                last_error = str(exc)
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the Dagster webserver did not load the code location in time: {last_error}"
                )
            time.sleep(0.5)
        while api:
            self._check_alive()
            try:
                if httpx.get(
                    f"http://127.0.0.1:{self.settings.api_port}/healthz", timeout=5
                ).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the API did not start in time")
            time.sleep(0.3)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every process: SIGTERM, then SIGKILL after `timeout` seconds."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, process in self.processes.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %.0f s; killing it", name, timeout)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self._logs:
            log.close()
        self.processes.clear()
