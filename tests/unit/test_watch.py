"""Choosing the observer from the mount table."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxd.inbox.watch import choose_observer, mount_fstype

MOUNTS = """\
/dev/vda1 / ext4 rw,relatime 0 0
//nas/scans /mnt/scans cifs rw,vers=3.0 0 0
nas:/export /mnt/nfs nfs4 rw 0 0
sshfs#me@host: /mnt/ssh fuse.sshfs rw 0 0
/dev/vdb1 /mnt/scans/local ext4 rw 0 0
/dev/vdc1 /mnt/with\\040space xfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "fstype", "observer"),
    [
        ("/srv/inbox", "ext4", "inotify"),
        ("/mnt/scans/inbox", "cifs", "polling"),
        ("/mnt/nfs/a/b", "nfs4", "polling"),
        ("/mnt/ssh/inbox", "fuse.sshfs", "polling"),
        ("/mnt/scans/local/inbox", "ext4", "inotify"),
        ("/mnt/scansX", "ext4", "inotify"),
        ("/mnt/with space/in", "xfs", "inotify"),
    ],
)
def test_auto_picks_polling_on_network_mounts(path: str, fstype: str, observer: str) -> None:
    """``auto`` polls on SMB/NFS/FUSE mounts (longest mount point wins), inotify elsewhere."""
    assert mount_fstype(Path(path), MOUNTS) == fstype
    assert choose_observer("auto", Path(path), MOUNTS) == observer


def test_explicit_choice_wins() -> None:
    """An explicit observer setting is used as it is."""
    assert choose_observer("inotify", Path("/mnt/nfs/x"), MOUNTS) == "inotify"
    assert choose_observer("polling", Path("/srv"), MOUNTS) == "polling"
