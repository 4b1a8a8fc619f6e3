"""Build hook: a wheel carries the top-level templates/ and static/ inside the package, and the
compiled message catalogues.

In a checkout (editable install) the app reads them from the repository's top level; in a built
wheel there is no top level, so they are copied to ``workspace/templates`` and
``workspace/static`` at build time. ``workspace.create_app`` looks in both places.

The ``.mo`` files are not in git (``make translations`` compiles them in a checkout): the build
compiles every ``.po`` into the wheel, so a wheel from a clean clone speaks English too. Babel is
a build requirement for this (pyproject.toml, [build-system]).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
TRANSLATIONS = Path("workspace") / "translations"


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under source into the same place in target."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parents[1].name)
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


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
        compile_catalogues(ROOT / TRANSLATIONS, Path(self.build_lib) / TRANSLATIONS)


setup(cmdclass={"build_py": BuildWithAssets})
