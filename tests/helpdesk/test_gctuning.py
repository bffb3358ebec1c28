import gc

import pytest

from helpdesk import gctuning


@pytest.fixture
def restored_gc():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_the_server_freezes_what_it_loaded_and_collects_young_objects_less_often(restored_gc):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    gctuning.tune_for_server()

    assert gc.get_threshold() == (gctuning.YOUNG_THRESHOLD, gctuning.MIDDLE_THRESHOLD, gctuning.OLD_THRESHOLD)
    assert gc.get_freeze_count() > 10_000  # Django and the apps, out of every later collection


def test_the_asgi_application_tunes_the_collector_when_a_server_loads_it(restored_gc, monkeypatch):
    import importlib

    import helpdesk.asgi

    calls = []
    monkeypatch.setattr(gctuning, "tune_for_server", lambda: calls.append(True))
    importlib.reload(helpdesk.asgi)

    assert calls == [True]
