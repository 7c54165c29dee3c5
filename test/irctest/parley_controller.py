"""irctest controller for Parley's IRC gateway (issue 14).

Loaded by irctest's conftest.py with ``--controller parley_controller`` (this folder on PYTHONPATH;
``npm run test:irctest`` does that). Each test gets a fresh hub (test/irctest/hub.ts) with a temporary
data folder, IRC guests on (irctest's clients register with a bare NICK) and accounts created on
demand for the SASL tests through the hub's stdin.
"""

from __future__ import annotations

import os
from pathlib import Path
import subprocess
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, BaseServicesController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, OptionalBehaviors

ROOT = Path(__file__).resolve().parents[2]


class ParleyServices(BaseServicesController):
    """Parley has no services bots: accounts are the hub's own. This only creates them for tests."""

    software_name = "Parley"

    def run(self, protocol: str, server_hostname: str, server_port: int) -> None:
        self.services_up = True

    def wait_for_services(self) -> None:
        self.server_controller.wait_for_port()
        self.services_up = True

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:  # type: ignore[override]
        assert isinstance(self.server_controller, ParleyController)
        self.server_controller.create_account(username, password or "password")


class ParleyController(BaseServerController):
    software_name = "Parley"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False
    capabilities = frozenset(
        {
            Capabilities.ACCOUNT_TAG,
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.LABELED_RESPONSE,
            Capabilities.MESSAGE_REDACTION,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.SERVER_TIME,
        }
    )
    optional_behaviors = frozenset(
        {
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
        }
    )

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        if password is not None:
            # A server password is not Parley's model: PASS carries a Parley account's credentials.
            raise NotImplementedByController("PASS as a server password")
        if ssl:
            raise NotImplementedByController("TLS tests (the hub's TLS port is tested in the project)")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        node = os.environ.get("NODE", "node")
        self.proc = subprocess.Popen(
            [node, "--import", "tsx", str(ROOT / "test/irctest/hub.ts"), hostname, str(port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if self.debug_mode else subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the Parley hub did not start: {line!r}")
        self.port_open = True
        if run_services:
            self.services_controller = ParleyServices(self.test_config, self)

    def create_account(self, username: str, password: str) -> None:
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"register {username} {password}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != "ok":
            raise RuntimeError(f"account {username}: {answer}")

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:  # type: ignore[override]
        self.create_account(username, password or "password")


def get_irctest_controller_class() -> Type[ParleyController]:
    return ParleyController
