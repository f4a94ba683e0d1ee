"""``make up`` runs every Procfile process under honcho, which stops them all
as soon as one exits: one worker crash took the stack down. Each process now
runs under ``scripts/supervise``; here honcho runs two supervised processes
(of a Procfile of the test's own, through ``PROCFILE``), one of which keeps
exiting."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration  # real processes under the supervisor

ROOT = Path(__file__).resolve().parents[2]
HONCHO = Path(sys.executable).with_name("honcho")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_process_that_exits_is_started_again_and_the_others_keep_running(tmp_path):
    runs, steady_pid = tmp_path / "runs", tmp_path / "steady.pid"
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"flaky: sh -c 'echo run >> {runs}; exit 3'\nsteady: sh -c 'echo $$ > {steady_pid}; exec sleep 300'\n"
    )
    supervised = tmp_path / "Procfile.supervised"
    supervised.write_text(f"flaky: {ROOT}/scripts/supervise flaky\nsteady: {ROOT}/scripts/supervise steady\n")
    log = (tmp_path / "honcho.log").open("w")
    honcho = subprocess.Popen(
        [str(HONCHO), "start", "-f", str(supervised), "-d", str(ROOT), "flaky", "steady"],
        env={**os.environ, "PROCFILE": str(procfile)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: runs.exists() and len(runs.read_text().split()) >= 3, timeout=30, what="3 runs")
        pid = int(steady_pid.read_text())

        output = (tmp_path / "honcho.log").read_text()
        assert honcho.poll() is None, output
        assert _alive(pid)
        assert "supervise: 'flaky' exited with status 3; starting it again" in output

        honcho.send_signal(signal.SIGTERM)  # what Ctrl-C / make up's trap do
        honcho.wait(timeout=20)
        wait_for(lambda: not _alive(pid), timeout=10, what="the steady process to stop with honcho")
        count = len(runs.read_text().split())
        time.sleep(2.5)  # longer than the next restart delay
        assert len(runs.read_text().split()) == count  # nothing restarted after the stop
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
        log.close()
