"""The shipped systemd units pass ``systemd-analyze verify``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
INBOXD = str(Path(sys.executable).parent / "inboxd")


@pytest.mark.parametrize(
    ("unit", "instance"),
    [("inboxd.service", "inboxd.service"), ("inboxd@.service", "inboxd@scans.service")],
)
def test_unit_verifies_cleanly(tmp_path: Path, unit: str, instance: str) -> None:
    """Each unit parses without a single warning (ExecStart pointed at this venv's inboxd)."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze missing: `make test` installs Debian's systemd package"
    text = (UNITS / unit).read_text()
    assert "ExecStart=/opt/inboxd/bin/inboxd " in text
    (tmp_path / unit).write_text(text.replace("/opt/inboxd/bin/inboxd", INBOXD))
    done = subprocess.run([analyze, "verify", instance], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0 and unit not in done.stdout + done.stderr, done.stderr
    for needed in ("Type=notify", "WatchdogSec=", "RestartPreventExitStatus=78",
                   "ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory="):  # fmt: skip
        assert needed in text


def test_broken_unit_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a misspelt value is reported by systemd-analyze."""
    analyze = shutil.which("systemd-analyze")
    assert analyze
    text = (UNITS / "inboxd.service").read_text().replace("on-failure", "on-failur")
    (tmp_path / "inboxd.service").write_text(text.replace("/opt/inboxd/bin/inboxd", INBOXD))
    done = subprocess.run([analyze, "verify", "inboxd.service"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "on-failur" in done.stderr
