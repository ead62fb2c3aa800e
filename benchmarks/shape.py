"""The shape of the code: modules, the largest modules and classes, and import arrows between them.

Run with the project's interpreter:  .venv/bin/python benchmarks/shape.py [--src DIR] [--top 8]

An arrow is one calldesk module importing another (each pair once, `from a import b` counted as
an import of module `a.b` when that is a module). Packages are the folders (`core.calls`,
`tui.screens`); a module directly in `calldesk` or `calldesk.core` counts as one. "All" counts
every import statement; "runtime, top level" leaves out imports inside functions and under
`if TYPE_CHECKING:`, the ones that tie modules together when they are first imported. Issue 14's
targets: no module over about 400 lines, no class over about 300, fewer arrows than before.
`--src` measures another checkout (its `src` folder), to compare.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    classes: list[tuple[str, int]] = field(default_factory=list)
    imports_all: set[str] = field(default_factory=set)
    imports_top: set[str] = field(default_factory=set)


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def read_module(path: Path, src: Path, known: set[str]) -> Module:
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    module = Module(module_name(path, src), path, len(text.splitlines()))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
            module.classes.append((node.name, node.end_lineno - node.lineno + 1))

    def targets(node: ast.Import | ast.ImportFrom) -> set[str]:
        found: set[str] = set()
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [name if name in known else node.module for name in names]
        else:
            names = []
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != "calldesk" and name != module.name:
                found.add(name)
        return found

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                hits = targets(child)
                module.imports_all |= hits
                if top:
                    module.imports_top |= hits
            inner = top and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if isinstance(child, ast.If) and _is_type_checking(child):
                inner = False
            visit(child, inner)

    visit(tree, True)
    return module


def package_of(name: str, modules: list[Module]) -> str:
    """The package a module belongs to (a package's `__init__` is the package itself)."""
    if any(m.name.startswith(name + ".") for m in modules):
        return name
    return name.rpartition(".")[0] if name.count(".") > 1 else name


def measure(src: Path) -> list[Module]:
    paths = sorted((src / "calldesk").rglob("*.py"))
    known = {module_name(path, src) for path in paths}
    return [read_module(path, src, known) for path in paths]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=SRC, help="the src folder to measure")
    parser.add_argument("--top", type=int, default=8, help="how many of the largest to list")
    args = parser.parse_args()
    modules = measure(args.src)
    code = [m for m in modules if m.lines > 1]  # an __init__.py with only its docstring is not
    arrows_all = sum(len(m.imports_all) for m in modules)
    arrows_top = sum(len(m.imports_top) for m in modules)
    print(f"source: {args.src}")
    print(f"modules: {len(code)} with code ({len(modules)} files)")
    print(f"import arrows between modules: {arrows_all} all, {arrows_top} runtime top level")
    packages = {package_of(m.name, modules) for m in code}
    between = {
        (package_of(m.name, modules), package_of(target, modules))
        for m in modules
        for target in m.imports_all
    }
    between = {(a, b) for a, b in between if a != b}
    print(f"import arrows between {len(packages)} packages: {len(between)}")
    print("\nlargest modules (lines), target about 400:")
    for module in sorted(code, key=lambda m: -m.lines)[: args.top]:
        print(f"  {module.lines:5}  {module.path.relative_to(args.src)}")
    classes = [(lines, f"{m.name}.{name}") for m in modules for name, lines in m.classes]
    print("\nlargest classes (lines), target about 300:")
    for lines, name in sorted(classes, reverse=True)[: args.top]:
        print(f"  {lines:5}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
