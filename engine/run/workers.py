"""The parts of a run that only a multi-worker run has: the hello at the start and the status at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.errors import describe_error
from dropout_tui.engine.run.cluster import Cluster, agree, exchange, explain_failure, fingerprint, is_collective_failure

if TYPE_CHECKING:
    from dropout_tui.engine.run.devices import Devices
    from dropout_tui.engine.run.preparation import Prepared


class Workers:
    """One worker's view of the cluster once the strategy is up."""

    def __init__(self, cluster: Cluster, devices: Devices) -> None:
        self.cluster = cluster
        self.devices = devices  # engine.run.devices.Devices over the cluster
        self.broken = False  # a collective failed: no further one can complete

    def introduce(self, config: RunConfig, prepared: Prepared) -> dict[str, Any]:
        """Every worker's fingerprint and devices, checked to agree; the run_started fields that describe them."""
        from dropout_tui.engine.run import versions

        arrays = [prepared.x_test, prepared.y_test, prepared.x_train, prepared.y_train]
        if prepared.ood is not None:
            arrays.append(prepared.ood.x)
        hello = {
            "fingerprint": fingerprint(config.to_dict(), arrays, config.model_path),
            "devices": versions.devices(),
            "device_names": self.devices.names,
        }
        hellos = exchange(self.devices.strategy, self.cluster, hello)
        agree(self.cluster, hellos)
        return {
            "workers": len(self.cluster.workers),
            "worker_index": self.cluster.index,
            "worker_devices": [
                {"address": address, "devices": h["devices"], "device_names": h["device_names"]}
                for address, h in zip(self.cluster.workers, hellos)
            ],
            "device_names": [name for h in hellos for name in h["device_names"]],
        }

    def describe(self, error: BaseException) -> str:
        """A failure in one line; a collective's names the worker it waited for."""
        if not is_collective_failure(error):
            return describe_error(error)
        self.broken = True
        return explain_failure(self.cluster, error)

    def chief_status(self, status: int) -> int:
        """Every worker's exit status gathered; the chief's is everyone's. Raises when a worker is gone."""
        if self.broken:
            return status
        statuses = exchange(self.devices.strategy, self.cluster, {"status": status})
        return int(statuses[0]["status"])
