"""python/plugin_host.py, the README's example, runs and gets the right bytes."""
import asyncio
import sys

import pytest

import mica
from conftest import TOP

sys.path.insert(0, str(TOP / "python"))
import plugin_host  # noqa: E402


def test_plugin_host(capsys):
    try:
        rc = asyncio.run(plugin_host.main(str(TOP / "examples" / "plugin" / "plugin.js")))
    except mica.Unavailable as e:
        pytest.skip(f"backend unavailable here: {e}")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "4096 bytes in, 4128 bytes out, 2016 pixels white" in out
    assert "matches the result: yes" in out
