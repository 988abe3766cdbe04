"""Where effkit's packages and package data live (the rest is in pyproject.toml).

The package sits in toolkit/effkit; the metadata layer (metadata/) and the two
template trees (coral/, android_template/) live at the repository root and are
mapped into it. Every folder of a template tree is listed as a package whose files
are package data, so the wheel carries the trees whole, dotfiles included.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
SKIP = {"__pycache__", ".ruff_cache", ".pytest_cache", ".mypy_cache"}

PACKAGE = ROOT / "toolkit" / "effkit"
# effkit and its stage subpackages (every folder of toolkit/effkit with an __init__.py),
# then the folders that hold only data.
packages = ["effkit", *sorted(
    "effkit." + ".".join(init.parent.relative_to(PACKAGE).parts)
    for init in PACKAGE.rglob("__init__.py")
    if init.parent != PACKAGE and not SKIP & set(init.relative_to(PACKAGE).parts)
)]
packages += ["effkit.metadata", "effkit.data", "effkit.edgetpu.docker", "effkit.metadata.schema"]
package_dir = {"effkit": "toolkit/effkit", "effkit.metadata": "metadata"}
package_data = {
    "effkit": ["py.typed"],
    "effkit.data": ["*"],
    "effkit.edgetpu.docker": ["*"],
    "effkit.metadata.schema": ["*"],
}

for name, folder in (("coral", "coral"), ("android", "android_template")):
    top = ROOT / folder
    for sub in sorted([top, *(p for p in top.rglob("*") if p.is_dir())]):
        rel = sub.relative_to(top)
        if SKIP & set(rel.parts):
            continue
        package = ".".join(("effkit.templates", name, *rel.parts))
        packages.append(package)
        package_dir[package] = sub.relative_to(ROOT).as_posix()
        package_data[package] = ["*", ".*"]

# setuptools' own build folders go to a hidden one: build/ is where effkit writes its builds
# (build/lite1-coral), and `pip install .` left build/lib and build/bdist.* there
setup(packages=packages, package_dir=package_dir, package_data=package_data,
      options={"build": {"build_base": ".setuptools-build"}})
