"""The one build step pyproject.toml cannot declare: compile the message catalogues.

`engine/common/locale/*/LC_MESSAGES/jixiao.po` is committed; its compiled `jixiao.mo` is not
(nothing generated is). A wheel (`pip install .`, `python -m build`) gets the `.mo` files
compiled here, with jixiao's own small msgfmt (`engine/common/catalogue.py`, loaded by its path:
jixiao is not installed yet). An editable install and a checkout read the `.po` directly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        spec = importlib.util.spec_from_file_location(
            "jixiao_catalogue", HERE / "engine" / "common" / "catalogue.py"
        )
        assert spec is not None and spec.loader is not None
        catalogue = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(catalogue)
        target = Path(self.build_lib) / "jixiao" / "engine" / "common" / "locale"
        for po in (HERE / "engine" / "common" / "locale").glob("*/LC_MESSAGES/*.po"):
            out = target / po.relative_to(po.parents[2])
            out.parent.mkdir(parents=True, exist_ok=True)
            catalogue.compile_po(po, out.with_suffix(".mo"))


setup(cmdclass={"build_py": BuildWithCatalogues})
