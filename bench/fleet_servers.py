"""The fleet drill's own servers, reachable from every worker host: they
listen on loopback (for the drill's process and its readiness checks) and
on the bridge's address (for the hosts, ``bench/fleet_netns.py``).

Each is the private server the other drills use (a PostgreSQL cluster in a
temp dir, a Redis or RabbitMQ node on a spare port), told to listen on the
bridge too and to let the hosts in: PostgreSQL trusts the bridge's subnet,
RabbitMQ lets ``guest`` connect from a non-loopback address. The shared
servers (5432, 6379, 5672) are never touched.
"""

from __future__ import annotations

from bench.chaos_servers import PrivatePostgres
from bench.fleet_netns import BRIDGE_IP, SUBNET_PREFIX
from tests.support.broker_servers import PrivateRabbitMQ, PrivateRedis


class FleetPostgres(PrivatePostgres):
    listen_addresses = f"127.0.0.1,{BRIDGE_IP}"

    def initdb(self) -> None:
        super().initdb()
        with open(self.data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {SUBNET_PREFIX}.0/24 trust\n")

    def url(self, database: str) -> str:
        return f"postgres://postgres@{BRIDGE_IP}:{self.port}/{database}"


class FleetRedis(PrivateRedis):
    @property
    def url(self) -> str:
        return f"redis://{BRIDGE_IP}:{self.port}/0"

    def _argv_env(self):
        argv, env = super()._argv_env()
        bind = argv.index("--bind")
        # Bound to two private addresses: protected mode (no password) would refuse the bridge's.
        argv[bind : bind + 2] = ["--bind", "127.0.0.1", BRIDGE_IP, "--protected-mode", "no"]
        return argv, env


class FleetRabbitMQ(PrivateRabbitMQ):
    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{BRIDGE_IP}:{self.port}//"

    def _argv_env(self):
        argv, env = super()._argv_env()
        # Listeners come from the config file (two addresses); the
        # environment's single address and port would replace them.
        env.pop("RABBITMQ_NODE_IP_ADDRESS")
        env.pop("RABBITMQ_NODE_PORT")
        config = self.workdir / "rabbitmq.conf"
        config.write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            f"listeners.tcp.2 = {BRIDGE_IP}:{self.port}\n"
            # guest may connect from loopback only, by default; the hosts are not loopback.
            "loopback_users = none\n"
        )
        env["RABBITMQ_CONFIG_FILE"] = str(config)
        return argv, env
