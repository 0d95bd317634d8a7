"""Maps the import packages onto their folders (``cloud_sync`` lives in ``cloud-sync/``)."""

from setuptools import find_packages, setup

ROOTS = {"dozor": "dozor", "edge": "edge", "cloud_sync": "cloud-sync", "portal": "portal"}
DATA = ["*.html", "*.js", "*.css", "*.ini", "*.mako", "*.sql", "*.svg", "*.txt", "*.json", "*.yaml"]

packages: list[str] = []
package_dir: dict[str, str] = {}
for name, folder in ROOTS.items():
    packages.append(name)
    package_dir[name] = folder
    for sub in find_packages(folder):
        packages.append(f"{name}.{sub}")
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={p: DATA + ["templates/*", "templates/**/*", "static/*", "static/**/*"] for p in packages},
)
