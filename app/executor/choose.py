"""The executor DESCENT_EXECUTOR names: the local pool, or Ray (imported only then: `make run` needs no Ray)."""

from __future__ import annotations

from app.executor import Executor, OnEvents, OnReleased
from app.settings import Settings


def build(settings: Settings, on_events: OnEvents, on_released: OnReleased) -> Executor:
    if settings.executor == "ray":
        try:
            from app.executor.cluster import RayExecutor
        except ImportError as exc:
            raise RuntimeError("DESCENT_EXECUTOR=ray needs Ray: pip install 'ray[default]==2.60.0'") from exc
        store_mb, cpus = settings.ray_object_store_mb, settings.ray_cpus_per_job
        return RayExecutor(
            on_events, on_released, address=settings.ray_address, num_cpus=settings.ray_num_cpus,
            object_store_bytes=store_mb * 1024 * 1024 if store_mb else None, cpus_per_job=cpus,
            gpu_fraction=settings.ray_gpu_fraction, threads=settings.torch_threads or max(1, int(cpus)),
            data_dir=settings.data_dir, max_jobs=settings.ray_max_jobs,
        )
    from app.executor.pool import WorkerPool

    return WorkerPool(settings.workers, on_events, settings.threads_per_worker(), settings.data_dir,
                      on_released=on_released, gpu_memory_fraction=settings.gpu_memory_fraction)
