"""The targets of a run: every target of a local archive folder when none are named."""

from __future__ import annotations

import pytest

from lcfeat.archive.layout import targets_in_folder
from lcfeat.errors import InvalidTargetError
from lcfeat.pipeline import targets_for_run


def test_archive_folder_lists_bundled_targets(archive_dir):
    ids = targets_in_folder(archive_dir)
    assert ids == [3342467, 9726699, 10001893, 10002792, 11904151]
    assert targets_for_run(None, str(archive_dir)) == (ids, {})


def test_no_targets_and_no_folder_is_an_error():
    with pytest.raises(InvalidTargetError, match="no targets"):
        targets_for_run(None, None)


def test_a_preset_brings_its_labels():
    ids, labels = targets_for_run("bundled-5")
    assert ids == list(labels)
    assert labels[11904151] == "host"
