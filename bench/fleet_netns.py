"""Worker "hosts" of the fleet drill: each one a network namespace and a
UTS namespace of its own, wired by a veth pair to a Linux bridge on the
machine's side::

    bridge arcadia-br0 10.77.0.1/24   (PostgreSQL, Redis, RabbitMQ, simulator)
      ├── veth arcadia-v1 ── eth0 10.77.0.11  netns arcadia-host1  (hostname host1)
      ├── veth arcadia-v2 ── eth0 10.77.0.12  netns arcadia-host2  (hostname host2)
      └── veth arcadia-v3 ── eth0 10.77.0.13  netns arcadia-host3  (hostname host3)

A host crash is every pid of its namespace SIGKILLed (``ip netns pids``);
a partition is its veth's machine-side end set down, which leaves every TCP
connection of the host hanging as a pulled cable would (no RST, no FIN).
The separate hostname is what makes the engine see another machine: a
lease owner names its host, and only a holder on *this* host can be
recognised as gone by its pid.

Everything here needs root (``CAP_NET_ADMIN``, ``CAP_SYS_ADMIN``);
``Fleet.teardown`` removes all of it and is safe to call twice, or after a
run that died half-way (it also runs before ``setup``, for leftovers).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass

BRIDGE = "arcadia-br0"
SUBNET_PREFIX = "10.77.0"
BRIDGE_IP = f"{SUBNET_PREFIX}.1"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


@dataclass(frozen=True)
class Host:
    index: int

    @property
    def name(self) -> str:
        return f"host{self.index}"

    @property
    def netns(self) -> str:
        return f"arcadia-{self.name}"

    @property
    def veth(self) -> str:
        """The machine-side end of its link (the one a partition sets down)."""
        return f"arcadia-v{self.index}"

    @property
    def address(self) -> str:
        return f"{SUBNET_PREFIX}.{10 + self.index}"

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run inside this host: its network namespace, and a UTS
        namespace of its own whose hostname is the host's name."""
        # `ip netns exec`, `unshare` and `sh -c 'exec'` all exec: the pid
        # the caller gets is the program's own.
        script = f'hostname {self.name} && exec "$@"'
        return ["ip", "netns", "exec", self.netns, "unshare", "--uts", "sh", "-c", script, "sh", *argv]

    def pids(self) -> list[int]:
        out = _ip("netns", "pids", self.netns, check=False).stdout
        return [int(p) for p in out.split()]

    def crash(self) -> int:
        """SIGKILL every process of the host at once; how many there were."""
        pids = self.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def link(self, up: bool) -> None:
        _ip("link", "set", self.veth, "up" if up else "down")


class Fleet:
    """The bridge and ``size`` hosts on it."""

    def __init__(self, size: int = 3):
        self.hosts = [Host(i) for i in range(1, size + 1)]

    def setup(self) -> None:
        if os.geteuid() != 0:
            raise PermissionError("the fleet drill needs root (ip netns, veth, bridge)")
        self.teardown()
        _ip("link", "add", BRIDGE, "type", "bridge")
        _ip("addr", "add", f"{BRIDGE_IP}/24", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        for host in self.hosts:
            _ip("netns", "add", host.netns)
            _ip("link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.netns)
            _ip("link", "set", host.veth, "master", BRIDGE, "up")
            _ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.netns, "link", "set", "eth0", "up")
            _ip("-n", host.netns, "link", "set", "lo", "up")

    def teardown(self) -> None:
        """Kill what still runs in a host, delete its namespace (its veth
        goes with it), then the bridge. Errors are ignored: a piece may not
        exist (never made, or already gone)."""
        for host in self.hosts:
            host.crash()
            _ip("netns", "del", host.netns, check=False)
            _ip("link", "del", host.veth, check=False)
        _ip("link", "del", BRIDGE, check=False)
