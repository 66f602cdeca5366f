"""Shared fixtures of the Python binding's tests.

Paths come from the environment meson test sets (bindings/meson.build):
QEFF_FIXTURES (tests/fixtures), QEFF_CONFORMANCE (tests/conformance/vectors.json)
and QEFF_HOME (the compile cache, inside the build tree).
"""

import json
import os
import pathlib

import pytest

import qeff

FIXTURES = pathlib.Path(os.environ.get("QEFF_FIXTURES", pathlib.Path(__file__).parents[3] / "tests" / "fixtures"))
CONFORMANCE = pathlib.Path(os.environ.get(
    "QEFF_CONFORMANCE", pathlib.Path(__file__).parents[3] / "tests" / "conformance" / "vectors.json"))


def model_dir(name: str) -> str:
    """Directory of fixture model ``name``."""
    return str(FIXTURES / "models" / name)


def reference(name: str) -> dict:
    """The transformers reference of fixture model ``name``."""
    return json.loads((FIXTURES / "reference" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads(CONFORMANCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lm(vectors):
    """llama-tiny compiled with the conformance compile values."""
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir(vectors["lm"]["model"])) as model:
        model.compile(**vectors["lm"]["compile"])
        yield model


@pytest.fixture(scope="module")
def encoder(vectors):
    """bert-tiny compiled with the conformance compile values."""
    with qeff.AutoModel.from_pretrained(model_dir(vectors["encoder"]["model"])) as model:
        model.compile(**vectors["encoder"]["compile"])
        yield model
