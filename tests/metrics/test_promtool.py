"""The alert rules and the dashboard's queries, checked by Prometheus's own
``promtool``, and every series they name is one /metrics exports."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from arcadia.metrics.collector import registry

DOCS = Path(__file__).resolve().parents[2] / "docs"
ALERTS = DOCS / "prometheus-alerts.yml"
ALERT_CASES = DOCS / "prometheus-alerts.test.yml"
DASHBOARD = DOCS / "grafana-dashboard.json"
SERIES = re.compile(r"\barcadia_[a-z0-9_]+")
# What Grafana fills in before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is missing: install Debian's prometheus package (apt-get install prometheus)")
    return path


def _run(*args, cwd=DOCS) -> subprocess.CompletedProcess:
    done = subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def dashboard_queries() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def alert_queries() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def test_the_alert_rules_pass_promtool_check():
    assert "SUCCESS" in _run("check", "rules", str(ALERTS)).stdout


def test_each_alert_fires_on_its_case_and_not_before():
    assert "SUCCESS" in _run("test", "rules", ALERT_CASES.name).stdout


def test_every_dashboard_query_is_promql(tmp_path):
    rules = []
    for i, expr in enumerate(dashboard_queries()):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    _run("check", "rules", str(path), cwd=tmp_path)
    assert len(rules) >= 15


@pytest.mark.django_db
def test_every_series_the_alerts_and_dashboard_name_is_exported():
    exported = set()
    for family in registry.collect():
        exported |= {family.name, *(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))}

    named = {name for expr in alert_queries() + dashboard_queries() for name in SERIES.findall(expr)}

    assert named - exported == set()
    assert len(named) >= 15


_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "info": ("_info",)}
