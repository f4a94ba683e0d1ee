"""The engine's README and its import-linter contract name the same layers,
in the same order, and every engine module sits in exactly one layer of
both: a module added, moved or renamed fails here until both say where."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "provisioning" / "engine"
README = ENGINE / "README.md"
MARKER = re.compile(r"<!-- layers: (?P<container>[\w.]+) -->")
CONTAINERS = ["provisioning.engine", "provisioning.engine.claims", "provisioning.engine.display"]


def readme_layers(text: str) -> dict[str, list[set[str]]]:
    """Per ``<!-- layers: container -->`` marker, the table after it: one
    layer per row, its modules the backticked names of the second column."""
    found: dict[str, list[set[str]]] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if not (match := MARKER.fullmatch(line.strip())):
            continue
        rows = []
        for row in lines[number + 1 :]:
            if not row.startswith("|"):
                break
            cells = [cell.strip() for cell in row.strip("|").split("|")]
            if set(cells[1]) <= set("-") or cells[1] == "modules":
                continue  # the header and its rule
            rows.append(set(re.findall(r"`([\w]+)`", cells[1])))
        found[match["container"]] = rows
    return found


def contract_layers(pyproject: dict) -> dict[str, list[set[str]]]:
    found = {}
    for contract in pyproject["tool"]["importlinter"]["contracts"]:
        if contract["type"] != "layers" or not contract.get("containers"):
            continue
        for container in contract["containers"]:
            layers = [{name.strip() for name in re.split(r"[|:]", layer)} for layer in contract["layers"]]
            found[container] = layers
    return found


def modules_on_disk(container: str) -> set[str]:
    """The container's direct modules and subpackages (migrations aside)."""
    path = ROOT.joinpath(*container.split("."))
    names = {p.stem for p in path.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in path.iterdir() if (p / "__init__.py").exists() and p.name != "migrations"}
    return names


def mismatches(readme: dict, contract: dict) -> list[str]:
    problems = []
    for container in CONTAINERS:
        disk = modules_on_disk(container)
        for source, layers in (("README", readme.get(container)), ("contract", contract.get(container))):
            if layers is None:
                problems.append(f"{container}: no layers in the {source}")
                continue
            listed = [name for layer in layers for name in layer]
            twice = sorted({name for name in listed if listed.count(name) > 1})
            if twice:
                problems.append(f"{container}: {source} lists {twice} in more than one layer")
            if missing := sorted(disk - set(listed)):
                problems.append(f"{container}: {source} leaves out {missing}")
            if unknown := sorted(set(listed) - disk):
                problems.append(f"{container}: {source} names {unknown}, which do not exist")
        if container in readme and container in contract and readme[container] != contract[container]:
            problems.append(
                f"{container}: README layers {readme[container]} != contract layers {contract[container]}"
            )
    return problems


def test_the_readme_lists_the_contracts_layers_with_every_module_once():
    readme = readme_layers(README.read_text())
    contract = contract_layers(tomllib.loads((ROOT / "pyproject.toml").read_text()))
    assert mismatches(readme, contract) == []


@pytest.mark.parametrize(
    "break_it",
    [
        lambda text: text.replace("| `hooks` |", "| |").replace("`registry` `hooks`", "`registry`"),
        lambda text: text.replace("`turnaround` `settle`", "`turnaround`"),
        lambda text: text.replace("| | `sweeper` |", "| | `sweeper` `services` |"),
    ],
    ids=["a module left out", "a module missing from its layer", "a module in two layers"],
)
def test_a_readme_that_disagrees_is_caught(break_it):
    contract = contract_layers(tomllib.loads((ROOT / "pyproject.toml").read_text()))
    readme = readme_layers(break_it(README.read_text()))
    assert mismatches(readme, contract) != []
