"""The zoo of tiny models (tests/support/zoo.py), built untrained once per session and saved to a tmp folder."""

from __future__ import annotations

import pytest


class Zoo:
    """name -> built model, its data, its saved .keras/.npz; ``load`` gives a fresh copy for tests that change it."""

    def __init__(self, root) -> None:
        self.root = root
        self._built: dict[str, tuple] = {}

    def build(self, name: str):
        if name not in self._built:
            # Imported here: the zoo imports Keras, which the fast tier never collects.
            from tests.support import zoo as zoo_module

            with zoo_module.untrained():
                model, data = zoo_module.BUILDERS[name]()
            paths = zoo_module.save_pair(model, data, self.root, name)
            self._built[name] = (model, data, paths)
        return self._built[name]

    def model(self, name: str):
        return self.build(name)[0]

    def data(self, name: str) -> dict:
        return self.build(name)[1]

    def paths(self, name: str) -> tuple[str, str]:
        return self.build(name)[2]

    def load(self, name: str):
        from dropout_tui.engine.model.loading import load_user_model

        return load_user_model(self.paths(name)[0], unsafe=False)


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> Zoo:
    return Zoo(tmp_path_factory.mktemp("zoo"))
