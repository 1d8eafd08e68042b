"""The layers between apps (pyproject.toml's import-linter contract) and what keeps them honest."""

import ast
from copy import deepcopy
from pathlib import Path

import grimp
import pytest
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY
from importlinter import api
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cordee"


def source_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
            continue
        yield path


def function_level_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`from cordee...` / `import cordee...` inside a function, except in an AppConfig's ready(), where
    Django wants the modules that use models (receivers) imported once the apps are loaded."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if path.name == "apps.py" and function.name == "ready":
            continue
        for node in ast.walk(function):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name == "cordee" or name.startswith("cordee.") for name in names):
                found.append(f"{path.relative_to(root)}:{node.lineno} in {function.name}()")
    return found


def test_no_import_of_our_code_hides_inside_a_function():
    hidden = [hit for path in source_files() for hit in function_level_imports(path)]

    assert hidden == []


def test_the_scan_finds_an_import_hidden_in_a_function(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from cordee.missions.models import Mission\n    return Mission\n")
    apps = tmp_path / "apps.py"
    apps.write_text("class C:\n    def ready(self):\n        from cordee.x import receivers\n")

    assert function_level_imports(module, root=tmp_path) == ["module.py:2 in f()"]
    assert function_level_imports(apps, root=tmp_path) == []


def test_no_import_error_fallback():
    fallbacks = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in source_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ExceptHandler)
        and any(
            isinstance(name, ast.Name) and name.id in {"ImportError", "ModuleNotFoundError"}
            for name in (node.type.elts if isinstance(node.type, ast.Tuple) else [node.type])
        )
    ]

    assert fallbacks == []


@pytest.fixture(scope="module")
def layers():
    configuration = api.read_configuration(str(ROOT / "pyproject.toml"))
    (options,) = [item for item in configuration["contracts_options"] if item["id"] == "layers"]
    contract = LayersContract(
        name=options["name"], session_options=configuration["session_options"], contract_options=options
    )
    return contract, grimp.build_graph("cordee", cache_dir=None)


def test_the_apps_keep_their_layers(layers):
    contract, graph = layers

    assert contract.check(deepcopy(graph), verbose=False).kept


@pytest.mark.parametrize(
    "importer, imported",
    [
        ("cordee.core.outbox", "cordee.collectives.models"),  # core imports no app
        ("cordee.collectives.queries", "cordee.missions.models"),  # a lower layer, a higher one
        ("cordee.missions.services.missions", "cordee.communication.services.kickoff"),
        ("cordee.clients.queries", "cordee.opportunities.models"),  # independent siblings
    ],
)
def test_a_forbidden_import_breaks_the_contract(layers, importer, imported):
    contract, graph = layers
    graph = deepcopy(graph)
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")

    assert not contract.check(graph, verbose=False).kept


def test_the_periodic_jobs_are_registered_from_the_top(layers):
    """Huey's consumer imports every app's `tasks` module: the top app's, alone, imports the schedule."""
    _contract, graph = layers
    importers = {
        module
        for module in graph.find_modules_that_directly_import("cordee.schedule")
        if ".tests" not in module
    }
    autodiscover_modules("tasks")

    assert importers == {"cordee.workspace.tasks"}
    assert {
        "cordee.schedule.outbox_tick",
        "cordee.schedule.missions_health_tick",
        "cordee.schedule.task_assignment_digest_tick",
        "cordee.schedule.ritual_videos_reminder_tick",
        "cordee.schedule.recaps_tick",
        "cordee.schedule.surveys_tick",
    } <= set(HUEY._registry._registry)


def test_the_collective_clock_has_one_home():
    """`collective_zone` and `collective_today` (cordee/collectives/time.py) are the only ways to the
    collective's time zone: no `ZoneInfo(….time_zone)` of a collective, no other `collective_today`."""
    home = PACKAGE / "collectives" / "time.py"
    elsewhere = []
    for path in source_files():
        if path == home:
            continue
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            if function.name in {"collective_today", "_collective_today", "collective_zone"}:
                elsewhere.append(f"{path.relative_to(ROOT)}:{function.lineno} def {function.name}")
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", getattr(node.func, "attr", None)) == "ZoneInfo"
                    and node.args
                    and isinstance(node.args[0], ast.Attribute)
                    and node.args[0].attr == "time_zone"
                    and ast.unparse(node.args[0].value).endswith("collective")
                ):
                    elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")

    assert sorted(set(elsewhere)) == []


def app_import_cycles(graph) -> list[tuple[str, str]]:
    """Pairs of apps that import each other, directly or through other apps (tests left out)."""
    apps = sorted(
        module
        for module in graph.find_children("cordee")
        if (PACKAGE / module.split(".")[1]).is_dir() and module != "cordee.conftest"
    )
    reaches = {app: set() for app in apps}
    for importer in graph.modules:
        if ".tests" in importer or importer.endswith(".conftest"):
            continue
        source = ".".join(importer.split(".")[:2])
        if source not in reaches:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            target = ".".join(imported.split(".")[:2])
            if target in reaches and target != source:
                reaches[source].add(target)
    closure = {app: set(targets) for app, targets in reaches.items()}
    changed = True
    while changed:
        changed = False
        for targets in closure.values():
            more = set().union(*(closure[target] for target in targets)) - targets
            if more:
                targets |= more
                changed = True
    return [(a, b) for a in apps for b in apps if a < b and b in closure[a] and a in closure[b]]


def test_no_two_apps_import_each_other(layers):
    """Siblings of one layer may build on each other (timesheets on missions), never in both directions."""
    _contract, graph = layers

    assert app_import_cycles(graph) == []


def test_a_cycle_between_two_apps_is_found(layers):
    _contract, graph = layers
    graph = deepcopy(graph)
    graph.add_import(
        importer="cordee.missions.queries.missions",
        imported="cordee.timesheets.models",
        line_number=1,
        line_contents="import cordee.timesheets.models",
    )

    assert app_import_cycles(graph) == [("cordee.missions", "cordee.timesheets")]


def missions_contract():
    configuration = api.read_configuration(str(ROOT / "pyproject.toml"))
    (options,) = [
        item for item in configuration["contracts_options"] if item["id"] == "timesheets-over-missions"
    ]
    return ForbiddenContract(
        name=options["name"], session_options=configuration["session_options"], contract_options=options
    )


def test_missions_never_import_timesheets(layers):
    _contract, graph = layers

    assert missions_contract().check(deepcopy(graph), verbose=False).kept


def test_an_import_of_timesheets_in_missions_breaks_its_contract(layers):
    _contract, graph = layers
    graph = deepcopy(graph)
    graph.add_import(
        importer="cordee.missions.queries.deliverables",
        imported="cordee.timesheets.models",
        line_number=1,
        line_contents="import cordee.timesheets.models",
    )

    assert not missions_contract().check(graph, verbose=False).kept
