"""The project's modules import one another without a cycle.

A cycle works only while the import order happens to suit it, and a new import in
any of its modules can break start-up with a half-initialised module. Imports
inside function bodies run later, once every module is loaded, and are how a task
module reaches its services (services import the tasks at module level), so they
are left out; so are imports needed only by the type checker. Importing a module
runs its packages' __init__ modules first, so those count as imported too.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "cities", "renewal", "config")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(tree: ast.Module):
    """Import statements that run when the module is loaded."""
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        else:
            pending.extend(
                child
                for child in ast.iter_child_nodes(node)
                if isinstance(child, ast.stmt)
            )


def _targets(node, module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = (
                module if path.name == "__init__.py" else module.rpartition(".")[0]
            )
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # `from package import name` loads package.name when that is a module.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names
        ]
    found = set()
    for name in names:
        # `import a.b.c` of a name that is not a module of ours: its nearest one.
        while name and name not in modules:
            name = name.rpartition(".")[0]
        # Loading a.b.c runs a/__init__.py and a/b/__init__.py first: a cycle
        # through a package's __init__ counts, except for the importer's own
        # packages, which are loaded (or loading) before it by then.
        while name and name != module and not module.startswith(f"{name}."):
            found.add(name)
            name = name.rpartition(".")[0]
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _project_modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = set()
        for node in _load_time_imports(tree):
            graph[module] |= _targets(node, module, path, modules)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as the list of its modules, first repeated at the end."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_project_modules_import_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_sees_a_cycle_through_a_package():
    # The check itself: a cycle written the way ours was (a task module importing a
    # service, the service importing the tasks) is found.
    graph = {
        "renewal.tasks": {"renewal.services.notifications"},
        "renewal.services.notifications": {"renewal.services"},
        "renewal.services": {"renewal.tasks"},
        "cities.models": set(),
    }
    assert find_cycle(graph) == [
        "renewal.services",
        "renewal.tasks",
        "renewal.services.notifications",
        "renewal.services",
    ]


def test_services_import_their_tasks_and_tasks_no_service_at_load():
    graph = import_graph()
    # The graph sees module-level imports (a service enqueues its task)...
    assert "renewal.tasks" in graph["renewal.services.notifications"]
    # ...and not those inside task bodies, which is where tasks reach services.
    assert not any(
        target.startswith(("renewal.services", "cities.services"))
        for target in graph["renewal.tasks"] | graph["cities.tasks"]
    )


def _all_imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file, function bodies too:
    a layer rule holds for deferred imports as much as for load-time ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _imports_of_package(package: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(ROOT)): _all_imports(path)
        for path in (ROOT / package).rglob("*.py")
    }


def test_cities_is_the_ground_floor_and_never_imports_renewal():
    offenders = {
        path: sorted(name for name in names if name.split(".")[0] == "renewal")
        for path, names in _imports_of_package("cities").items()
    }

    assert {path: names for path, names in offenders.items() if names} == {}


def test_core_imports_no_app_of_the_project():
    apps = {"cities", "renewal", "config"}
    offenders = {
        path: sorted(name for name in names if name.split(".")[0] in apps)
        for path, names in _imports_of_package("core").items()
    }

    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_module_imports_a_private_name_of_a_service():
    # A service's underscore helpers are its own; a second caller means the helper
    # is a service of its own, or the caller re-implements the write.
    offenders = []
    for package in (*PACKAGES, "tests"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ImportFrom)
                    and node.module
                    and ".services" in f".{node.module}"
                ):
                    offenders += [
                        f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                        for alias in node.names
                        if alias.name.startswith("_")
                    ]

    assert offenders == []
