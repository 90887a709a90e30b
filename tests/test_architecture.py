"""The import rules of docs/architecture.md, read from the source with `ast`.

Every `import` and `from ... import` counts, wherever it stands: at the top, inside a function,
under `if TYPE_CHECKING:`. A rule that breaks names the file, the line and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("desktop", "edge_model", "training")

# Training-side modules of edge_model: the Keras architecture, compression and conversion.
# Everything else in edge_model is the runtime side that the app and the bundle carry.
EDGE_MODEL_TRAINING_SIDE = {"edge_model.keras_model", "edge_model.compress", "edge_model.convert"}
# The one module that imports Qt's modules (PySide6.QtCore, ...) and re-exports their names.
QT_MODULE = "desktop.ui.qt"
# Libraries of one operating system or display server, kept behind the collector and
# notification Protocols.
PLATFORM_LIBRARIES = {
    "Xlib",
    "jeepney",
    "AppKit",
    "Quartz",
    "Foundation",
    "objc",
    "UserNotifications",
    "winrt",
}
PLATFORM_PACKAGES = ("desktop.collect", "desktop.notify")
TRAINING_LIBRARIES = {"tensorflow", "keras", "tf_keras", "jax", "flwr", "optuna"}
TENSORFLOW_AND_KERAS = {"tensorflow", "keras", "tf_keras", "jax"}
SQL_LIBRARIES = {"sqlite3", "sqlite_utils"}
SQL_OWNER = "desktop.store"


@dataclass(frozen=True)
class Import:
    """One imported module name, where it is imported and how it was written."""

    module: str  # the importing module, e.g. "desktop.engine"
    path: Path
    line: int
    target: str  # the imported module, e.g. "PySide6.QtCore" or "edge_model.runtime"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, name] if name else base)


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Yield every module that the file at `path` imports, with its line."""
    module = _module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative_path = path.relative_to(root)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, relative_path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                source = _resolve_relative(
                    module, path.name == "__init__.py", node.level, node.module
                )
            else:
                source = node.module or ""
            # `from PySide6 import QtCore` imports the module PySide6.QtCore: count the names
            # too, so that a submodule imported this way is seen as what it is.
            yield Import(module, relative_path, node.lineno, source)
            for alias in node.names:
                if alias.name != "*":
                    yield Import(module, relative_path, node.lineno, f"{source}.{alias.name}")


def all_imports(root: Path = ROOT) -> list[Import]:
    """Return the imports of every Python file of the three packages under `root`."""
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(imports_of(path, root))
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# Each rule says which imports break it.
def desktop_never_imports_training_code(imp: Import) -> bool:
    """The app runs the .tflite through LiteRT: no TensorFlow, Keras, JAX, Flower, Optuna."""
    return _within(imp.module, "desktop") and (
        _top(imp.target) in TRAINING_LIBRARIES or _within(imp.target, "training")
    )


def edge_model_runtime_side_never_imports_tensorflow(imp: Import) -> bool:
    """The runtime half of edge_model (what the app and the bundle carry) is numpy only."""
    return (
        _within(imp.module, "edge_model")
        and imp.module not in EDGE_MODEL_TRAINING_SIDE
        and (
            _top(imp.target) in TENSORFLOW_AND_KERAS
            or imp.target in EDGE_MODEL_TRAINING_SIDE
            or any(imp.target.startswith(side + ".") for side in EDGE_MODEL_TRAINING_SIDE)
        )
    )


def edge_model_never_imports_the_app_or_training(imp: Import) -> bool:
    """edge_model is the contract both sides import; it imports neither of them."""
    return _within(imp.module, "edge_model") and (
        _within(imp.target, "desktop") or _within(imp.target, "training")
    )


def qt_modules_only_in_the_qt_module(imp: Import) -> bool:
    """Qt's modules come from desktop/ui/qt.py alone; elsewhere at most the bare PySide6
    package (to read its version), which loads no Qt library."""
    return (
        _top(imp.target) == "PySide6"
        and imp.target != "PySide6"
        and imp.module != QT_MODULE
        and not (
            # `from PySide6 import __version__` and the like: attributes, not Qt modules.
            imp.target.startswith("PySide6.__")
        )
    )


def only_the_app_imports_pyside6(imp: Import) -> bool:
    """edge_model and training never import Qt, not even the bare package."""
    return not _within(imp.module, "desktop") and _top(imp.target) == "PySide6"


def training_never_imports_the_ui(imp: Import) -> bool:
    """Training reads the store and the parsers, never the Qt face."""
    return _within(imp.module, "training") and _within(imp.target, "desktop.ui")


def only_the_store_writes_sql(imp: Import) -> bool:
    """desktop/store.py is the one owner of the database: no other module opens SQLite."""
    return _top(imp.target) in SQL_LIBRARIES and imp.module != SQL_OWNER


def platform_libraries_only_behind_the_protocols(imp: Import) -> bool:
    """Xlib, D-Bus, pyobjc and WinRT are used by collectors and notifiers only."""
    return _top(imp.target) in PLATFORM_LIBRARIES and not any(
        _within(imp.module, package) for package in PLATFORM_PACKAGES
    )


RULES: list[Callable[[Import], bool]] = [
    desktop_never_imports_training_code,
    edge_model_runtime_side_never_imports_tensorflow,
    edge_model_never_imports_the_app_or_training,
    qt_modules_only_in_the_qt_module,
    only_the_app_imports_pyside6,
    training_never_imports_the_ui,
    only_the_store_writes_sql,
    platform_libraries_only_behind_the_protocols,
]


def broken(rule: Callable[[Import], bool], imports: list[Import]) -> list[str]:
    """Return one line per import that breaks `rule`."""
    return sorted({str(imp) for imp in imports if rule(imp)})


@pytest.fixture(scope="module")
def source_imports() -> list[Import]:
    imports = all_imports()
    assert len({imp.module for imp in imports}) > 50, "the source tree was not found"
    return imports


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_source_keeps_the_import_rule(rule: Callable[[Import], bool], source_imports):
    offending = broken(rule, source_imports)
    assert not offending, f"{rule.__doc__}\n" + "\n".join(offending)


def test_the_rules_see_what_the_code_does_import(source_imports):
    # Guards against a checker that passes because it reads nothing: these imports exist.
    targets = {(imp.module, imp.target) for imp in source_imports}
    assert ("desktop.ui.qt", "PySide6.QtWidgets") in targets
    assert ("edge_model.convert", "tensorflow") in targets
    assert ("desktop.store", "sqlite3") in targets
    assert any(module.startswith("training.") and t == "desktop.store" for module, t in targets)


BREAKING_EXAMPLES = [
    ("desktop/engine.py", "import tensorflow as tf\n", desktop_never_imports_training_code),
    (
        "desktop/service.py",
        "def later():\n    from training import cli\n",
        desktop_never_imports_training_code,
    ),
    (
        "edge_model/runtime.py",
        "from edge_model.keras_model import build_model\n",
        edge_model_runtime_side_never_imports_tensorflow,
    ),
    (
        "edge_model/features.py",
        "import keras\n",
        edge_model_runtime_side_never_imports_tensorflow,
    ),
    ("desktop/reports.py", "from PySide6 import QtGui\n", qt_modules_only_in_the_qt_module),
    (
        "desktop/ui/tray.py",
        "from PySide6.QtWidgets import QMenu\n",
        qt_modules_only_in_the_qt_module,
    ),
    ("training/simulate.py", "from desktop.ui import tray\n", training_never_imports_the_ui),
    ("desktop/plan/solver.py", "import sqlite3\n", only_the_store_writes_sql),
    ("desktop/cli.py", "from . import store\nimport sqlite_utils\n", only_the_store_writes_sql),
    (
        "desktop/engine.py",
        "from Xlib.display import Display\n",
        platform_libraries_only_behind_the_protocols,
    ),
]


@pytest.mark.parametrize(
    ("relative_path", "source", "rule"),
    BREAKING_EXAMPLES,
    ids=[f"{rule.__name__}-{path}" for path, _, rule in BREAKING_EXAMPLES],
)
def test_an_import_that_breaks_a_rule_is_named(
    tmp_path: Path, relative_path: str, source: str, rule: Callable[[Import], bool]
):
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    path = tmp_path / relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    offending = broken(rule, all_imports(tmp_path))
    assert offending, f"{rule.__name__} missed {relative_path}: {source!r}"
    assert all(line.startswith(relative_path + ":") for line in offending)


def write_tree(root: Path, sources: dict[str, str]) -> None:
    """Write {relative path: source} under `root`, folders included."""
    for relative_path, source in sources.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_allowed_imports_are_not_named(tmp_path: Path):
    allowed = {
        "desktop/ui/qt.py": "from PySide6 import QtCore, QtGui, QtWidgets\n",
        "desktop/cli.py": "import PySide6\nfrom edge_model import runtime\n",
        "desktop/collect/x11.py": "from Xlib.display import Display\n",
        "desktop/store.py": "import sqlite3\nimport sqlite_utils\n",
        "edge_model/convert.py": "import tensorflow as tf\n",
        "training/export.py": "import keras\nfrom desktop import store\n",
    }
    write_tree(tmp_path, allowed)
    imports = all_imports(tmp_path)
    assert all(not broken(rule, imports) for rule in RULES), [
        line for rule in RULES for line in broken(rule, imports)
    ]


# --- no import cycles ------------------------------------------------------------------------


def import_cycles(root: Path = ROOT) -> list[list[str]]:
    """Return the groups of modules that import each other round (each group sorted).

    Every import counts, inside a function too: a cycle held together by an import placed in a
    function is still a cycle a reader has to untangle. A module importing its own package
    (its `__init__`) does not count.
    """
    modules = set()
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            modules.add(_module_name(path, root))
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for imp in all_imports(root):
        target = imp.target
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != imp.module and not imp.module.startswith(target + "."):
            graph[imp.module].add(target)
    # Tarjan's strongly connected components, iteratively.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
    return groups


def test_no_modules_import_each_other_round():
    assert import_cycles() == []


def test_a_cycle_through_an_import_in_a_function_is_found(tmp_path: Path):
    sources = {
        "training/a.py": "from training import b\n",
        "training/b.py": "def later():\n    from training import c\n",
        "training/c.py": "import training.a\n",
        "training/d.py": "from training import a\n",
        "training/__init__.py": "",
        "desktop/x.py": "",
        "edge_model/y.py": "",
    }
    write_tree(tmp_path, sources)
    assert import_cycles(tmp_path) == [["training.a", "training.b", "training.c"]]
