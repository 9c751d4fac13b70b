"""ComputeTarget.list returns a list of typed targets, as azureml's does."""

from __future__ import annotations

from jupyter_mlstudio.core.compute import AmlCompute, ComputeTarget, LocalCompute


def test_list_returns_typed_targets_in_a_list(local_ws):
    # A record as ComputeTarget.create leaves it, without starting a cluster.
    local_ws._store.assets.upsert_compute_target("cpu-cluster", "AmlCompute", {"max_nodes": 2}, 2)

    targets = ComputeTarget.list(local_ws)

    assert isinstance(targets, list)
    assert [t.name for t in targets] == ["cpu-cluster", "local"]
    assert [type(t) for t in targets] == [AmlCompute, LocalCompute]
    assert targets[0].max_concurrency == 2
    # The workspace's dict of the same targets, keyed by name, is unchanged.
    by_name = local_ws.compute_targets
    assert sorted(by_name) == ["cpu-cluster", "local"]
    assert isinstance(by_name["cpu-cluster"], AmlCompute)
