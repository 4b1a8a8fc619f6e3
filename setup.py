"""Build hook: a wheel carries the top-level templates/ and static/ inside the package.

In a checkout (editable install) the app reads them from the repository's top level; in a built
wheel there is no top level, so they are copied to ``workspace/templates`` and
``workspace/static`` at build time. ``workspace.create_app`` looks in both places.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildWithAssets(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        for folder in ("templates", "static"):
            target = Path(self.build_lib) / "workspace" / folder
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(ROOT / folder, target)


setup(cmdclass={"build_py": BuildWithAssets})
