"""The layout holds: imports inside chalicelib/ run edge -> services/admin -> features ->
storage/crypto -> core and never back up, features do not import each other in a circle,
and no module grows past 400 lines. Imports are read with `ast`, function-local ones too
(the app defers most of its imports into functions to keep cold starts short).
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHALICELIB = os.path.join(ROOT, "chalicelib")
MAX_LINES = 400

# Higher imports lower, never the other way. app.py (the Lambda entry point) is above them all.
LAYERS = {
    "edge": 4,
    "services": 3, "account_services": 3, "push_services": 3, "admin": 3,
    "accounts": 2, "groups": 2, "messaging": 2, "media": 2, "realtime": 2,
    "storage": 1, "crypto": 1,
    "core": 0,
}
FEATURES = {name for name, rank in LAYERS.items() if rank == 2}


def _modules():
    """{dotted module name: path} of every Python module in chalicelib/."""
    found = {}
    for folder, _, files in os.walk(CHALICELIB):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                dotted = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                found[dotted.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _package(dotted):
    """The top-level part of chalicelib a module belongs to ("edge", "core", "services", ...)."""
    return dotted.split(".")[1]


def imports_of(dotted, path):
    """[(imported chalicelib module or package, line)] of every import in the module."""
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    is_package = path.endswith("__init__.py")
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                parts = dotted.split(".")[: len(dotted.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(parts + ([base] if base else []))
            found += [(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base, node.lineno)
                      for alias in node.names]
    return [(name, line) for name, line in found if name.startswith("chalicelib.")]


def _edges():
    """[(importer, imported, line)] between chalicelib modules."""
    return [(dotted, imported, line) for dotted, path in sorted(MODULES.items())
            for imported, line in imports_of(dotted, path)]


def test_every_top_level_part_of_chalicelib_has_a_layer():
    parts = {_package(dotted) for dotted in MODULES if dotted != "chalicelib"}
    assert parts - set(LAYERS) == set(), "give each new package or module of chalicelib/ a layer here"


def test_no_import_runs_back_up():
    upward = [f"{importer}:{line} imports {imported}" for importer, imported, line in _edges()
              if _package(importer) in LAYERS and _package(imported) in LAYERS
              and LAYERS[_package(imported)] > LAYERS[_package(importer)]]
    assert upward == []


def test_nothing_in_chalicelib_imports_app():
    assert [importer for importer, imported, _ in _edges() if imported == "app"] == []
    for dotted, path in MODULES.items():
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read())
        tops = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
        tops |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
        assert not tops & {"app", "devstack", "tests", "bench", "infra"}, dotted


def test_features_do_not_import_each_other_in_a_circle():
    graph = {}
    for importer, imported, _ in _edges():
        if _package(importer) in LAYERS and _package(imported) in LAYERS \
                and LAYERS[_package(importer)] == LAYERS[_package(imported)] and _package(importer) != _package(imported):
            graph.setdefault(_package(importer), set()).add(_package(imported))
    cycles = [f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, set())]
    assert cycles == [] and not _has_cycle(graph), graph


def _has_cycle(graph):
    visiting, done = set(), set()

    def visit(node):
        if node in done:
            return False
        if node in visiting:
            return True
        visiting.add(node)
        cyclic = any(visit(next_) for next_ in graph.get(node, ()))
        visiting.discard(node)
        done.add(node)
        return cyclic

    return any(visit(node) for node in graph)


@pytest.mark.parametrize("dotted", sorted(MODULES))
def test_no_module_is_over_400_lines(dotted):
    with open(MODULES[dotted], encoding="utf-8") as source:
        lines = sum(1 for _ in source)
    assert lines <= MAX_LINES, f"{dotted} has {lines} lines: split it by concern"


def test_the_checks_see_function_local_and_relative_imports(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("def later():\n    from chalicelib.edge import web\n"
                      "import chalicelib.core.errors\nfrom . import access\n", encoding="utf-8")
    found = {name for name, _ in imports_of("chalicelib.groups.sample", str(module))}
    assert found == {"chalicelib.edge.web", "chalicelib.core.errors", "chalicelib.groups.access"}


# The README's layout section -----------------------------------------------------------------

def _readme_layout():
    """{"top": names at the tree's first level, "chalicelib": names under chalicelib/, "text"}."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        text = readme.read()
    section = text[text.index("## Layout"):]
    block = section[section.index("```text\n") + len("```text\n"):]
    block = block[: block.index("```")]
    top, inner = set(), set()
    for line in block.splitlines():
        name = line.split()[0] if line.strip() else ""
        if line.startswith("  ") and not line.startswith("    "):
            inner.add(name)
        elif not line.startswith(" ") and name:
            top.add(name)
    return {"top": top, "chalicelib": inner, "text": block}


def _repository_folders():
    """Top-level folders holding files git keeps (tracked, or new and not ignored)."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return {path.split("/")[0] + "/" for path in listed if "/" in path and os.path.exists(os.path.join(ROOT, path))}


def test_the_readme_layout_lists_every_folder_of_the_repository():
    listed = {name for name in _readme_layout()["top"] if name.endswith("/")}
    assert listed == _repository_folders()


def test_the_readme_layout_lists_every_package_and_module_of_chalicelib():
    present = {entry + "/" if os.path.isdir(os.path.join(CHALICELIB, entry)) else entry
               for entry in os.listdir(CHALICELIB)
               if entry != "__pycache__" and entry != "__init__.py"
               and (entry.endswith(".py") or os.path.exists(os.path.join(CHALICELIB, entry, "__init__.py")))}
    assert _readme_layout()["chalicelib"] == present


def test_the_readme_layout_names_every_core_module_and_the_harness():
    text = _readme_layout()["text"]
    core = text[text.index("  core/"):text.index("  services.py")]
    modules = {file[:-3] for file in os.listdir(os.path.join(CHALICELIB, "core"))
               if file.endswith(".py") and file != "__init__.py"}
    assert {module for module in modules if module not in core} == set()
    assert "harness.py" in text
