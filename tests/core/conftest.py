"""Fixtures for the ledger / poller / submit tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load_jobfakes() -> ModuleType:
    name = "imstui_test_jobfakes"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("jobfakes.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def jobkit() -> type:
    """The fakes (FakeClock, FakeApi, job(...)) from tests/core/jobfakes.py."""
    kit: type = _load_jobfakes().Kit
    return kit
