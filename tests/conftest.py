"""Shared fixtures of the spatial-asmr tests."""

import numpy as np
import pytest

from spatial_asmr.hrtf.sets import bundled_hrtf_path, load_hrtf


@pytest.fixture(scope="session", autouse=True)
def cache_folder(tmp_path_factory):
    """The disk cache of the whole session: a temporary folder, never the user's.

    Set in ``os.environ``, so the processes the tests start inherit it.
    """
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPATIAL_ASMR_CACHE", str(folder))
        yield folder


@pytest.fixture
def rng():
    """A seeded random generator, fresh for every test."""
    return np.random.default_rng(20240611)


@pytest.fixture(scope="session")
def kemar_path():
    """Path of the bundled MIT KEMAR SOFA file."""
    return bundled_hrtf_path("kemar")


@pytest.fixture(scope="session")
def kemar_44k(tmp_path_factory):
    """KEMAR preprocessed at its own rate (44.1 kHz, no resampling).

    The on-disk cache goes to a fresh folder, so the set is computed from the
    SOFA file here rather than read back from an earlier run's cache.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPATIAL_ASMR_CACHE", str(tmp_path_factory.mktemp("hrtf-cache")))
        return load_hrtf("kemar", 44100)
