# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""The repository's shape: one public API that nothing outside reaches past, and layers that never import upwards.

Both are read from the source (every import statement, function-level and ``TYPE_CHECKING`` ones included), so a
new import that breaks either fails here instead of in review.
"""
from __future__ import annotations

import ast
import pathlib

import storage_backup.repository as public_api

ROOT = pathlib.Path(__file__).resolve().parents[3]
PACKAGE_DIR = ROOT / "backend" / "storage_backup" / "repository"
PACKAGE = "storage_backup.repository"

#: The engine's modules, lowest first: each may import only modules before it. ``destinations`` and
#: ``volume_io`` are subpackages (their own order is below).
LAYERS = [
    "errors", "times", "format", "chunk_id", "config", "transforms", "destinations", "damaged", "index", "keys",
    "locks", "packs", "block_map", "restore_point", "records", "volume_io", "workers",
    "store",
    "chunk_writer", "volume_backup", "writer", "volume_restore", "volume_verify", "volume_file", "check", "prune",
    "repair",
    "stats", "dependencies", "object_lock",
    "repository",
    "vault_copy", "vault_grant",
    "__init__",
]
VOLUME_IO_LAYERS = ["base", "known_zeros", "throttled", "posix", "block_device", "image_file", "factory", "__init__"]
#: Outside the package, where nothing may import a module inside it.
# The repository's own tests may reach its internals.
OWN_TESTS = [ROOT / "tests" / "unit" / "repository", ROOT / "tests" / "functional" / "repository"]
OUTSIDE = [ROOT / "backend", ROOT / "bench", ROOT / "tests", ROOT / "storage_backup_dashboard"]


def _imports(path: pathlib.Path) -> list[tuple[int, str, list[str]]]:
    """``(line, absolute module, names)`` of every import in a file (relative ones resolved)."""
    parts = list(path.relative_to(ROOT / "backend").with_suffix("").parts) if ROOT / "backend" in path.parents \
        else []
    package = parts[:-1] if parts and parts[-1] != "__init__" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def _submodules() -> set[str]:
    return {path.stem for path in PACKAGE_DIR.glob("*.py")} | {path.name for path in PACKAGE_DIR.iterdir()
                                                                if (path / "__init__.py").exists()}


def test_nothing_outside_the_package_imports_a_module_inside_it():
    inside = _submodules() - {"__init__"}
    offenders = []
    for top in OUTSIDE:
        for path in sorted(top.rglob("*.py")):
            if PACKAGE_DIR in path.parents or ".venv" in path.parts or any(own in path.parents for own in OWN_TESTS):
                continue
            for line, module, names in _imports(path):
                reached = module.startswith(PACKAGE + ".") or (module == PACKAGE and set(names) & inside)
                if reached:
                    offenders.append(f"{path.relative_to(ROOT)}:{line}: {module} {names}")
    assert not offenders, "import from storage_backup.repository itself instead:\n" + "\n".join(offenders)


def test_every_public_name_is_importable_from_the_package():
    assert set(public_api.__all__) <= set(dir(public_api))
    for name in ("Repository", "RestorePointWriter", "Record", "Consistency", "BlockSource", "BlockTarget",
                 "open_source", "open_target", "CheckReport", "PruneReport", "RepositoryStats"):
        assert name in public_api.__all__


def _check_layers(directory: pathlib.Path, package: str, layers: list[str]) -> list[str]:
    rank = {name: number for number, name in enumerate(layers)}
    units = {path.stem for path in directory.glob("*.py")} | {path.name for path in directory.iterdir()
                                                             if (path / "__init__.py").exists()}
    assert units == set(layers), f"{package}: modules not placed in a layer: {units ^ set(layers)}"
    upward = []
    for path in sorted(directory.rglob("*.py")):
        unit = path.relative_to(directory).parts[0].removesuffix(".py")
        for line, module, names in _imports(path):
            if module == package:  # "from . import x"
                targets = [name for name in names if name in units]
            elif module.startswith(package + "."):
                targets = [module[len(package) + 1:].split(".")[0]]
            else:
                continue
            for target in targets:
                if target != unit and rank[target] >= rank[unit]:
                    upward.append(f"{path.relative_to(ROOT)}:{line}: {unit} imports {target}")
    return upward


def test_lower_modules_never_import_higher_ones():
    upward = _check_layers(PACKAGE_DIR, PACKAGE, LAYERS)
    upward += _check_layers(PACKAGE_DIR / "volume_io", PACKAGE + ".volume_io", VOLUME_IO_LAYERS)
    assert not upward, "\n".join(upward)
