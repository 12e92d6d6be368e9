"""Batch workers: one scene rendered in a worker process, and the pools.

:func:`run_task` renders one scene of a batch and returns its manifest
record; it never raises for a scene's fault.  Two pools run tasks:
:class:`ProcessPool` (local worker processes, one task each at a time, a
killed worker replaced and its scene reported) and :class:`DaskPool` (the
tasks as futures on a ``dask.distributed`` cluster).  Both call
``on_result(record)`` for every task as it finishes, and on an interrupt
stop their workers and remove the temporary files of unfinished scenes.
"""

__all__ = ["run_task", "ProcessPool", "DaskPool", "failed_record"]

import os
import socket
import warnings

from ..errors import SpatialAsmrError, SpatialAsmrWarning
from ..output.files import remove_temporaries


def _single_thread():
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass


def run_task(task):
    """Render one scene of a batch (runs in a worker process).

    Parameters
    ----------
    task : dict
        Made by :func:`render_many`: the scene (file path or resolved
        mapping), the output paths, the key and the options.

    Returns
    -------
    dict
        The manifest record: status ``"rendered"`` or ``"failed"`` with
        the error message, and the figures of the render.
    """
    from .. import __version__

    host = socket.gethostname()
    if task.get("remote"):
        try:
            from distributed import get_worker

            task["worker"] = get_worker().address
        except (ImportError, ValueError):
            pass
    worker = task.get("worker") or f"{host}:{os.getpid()}"
    record = {"index": task["index"], "scene": task["label"], "name": task["name"],
              "key": task["key"],
              "output": task["output"], "sidecar": task["sidecar"], "host": host,
              "worker": worker, "version": __version__}
    try:
        _single_thread()
        with warnings.catch_warnings(record=True) as caught:
            # the scene's warnings go into its record (and the manifest);
            # the command line prints them as "warning: SCENE: message"
            warnings.simplefilter("always", SpatialAsmrWarning)
            record.update(_render_task(task))
        record["status"] = "rendered"
        record["warnings"] = _messages(caught)
    except SpatialAsmrError as exc:
        record.update(status="failed", error=_on_worker(str(exc), task))
    except MemoryError:
        record.update(status="failed", error=_on_worker("out of memory", task))
    except OSError as exc:
        record.update(status="failed",
                      error=_on_worker(f"{exc.strerror or exc}: {exc.filename}", task))
    except Exception as exc:  # noqa: BLE001 - one scene must not stop the batch
        record.update(status="failed",
                      error=_on_worker(f"internal error: {type(exc).__name__}: {exc}", task))
    finally:
        remove_temporaries(task["output"])
    return record


def _messages(caught):
    """The package's warnings as text, each once, in order; others are
    shown as Python shows them."""
    out = []
    for w in caught:
        if not issubclass(w.category, SpatialAsmrWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        elif str(w.message) not in out:
            out.append(str(w.message))
    return out


def _on_worker(message, task):
    if task.get("remote"):
        return f"{message} (on worker {task.get('worker') or socket.gethostname()})"
    return message


def _render_task(task):
    from ..renderer.pipeline import render_plan_to_file
    from ..renderer.plan import RenderPlan
    from .sidecar import build_sidecar, write_dcase_csv, write_json_atomic

    if task["path"] is not None:
        from ..scene.load import load_scene

        scene = load_scene(task["path"])
    else:
        from ..scene.resolved import scene_from_mapping

        scene = scene_from_mapping(task["mapping"], task["label"], task["base_dir"])
    options = task["options"]
    plan = RenderPlan(scene, threads=1)
    report = render_plan_to_file(plan, task["output"], bit_depth=options["bit_depth"])
    peaks = [source.stream.frame_peaks() for source in plan.sources]
    stems = []
    if task.get("stems"):
        from ..renderer.stems import write_stems

        stems = write_stems(scene, task["stems"], report.gain_db, threads=1)
    sidecar = build_sidecar(scene, report, peaks, key=task["key"],
                            scene_file=task["path"], options=options,
                            files=task["files"], hrtf=task["hrtf"])
    if options.get("annotations") == "dcase":
        write_dcase_csv(task["annotation"], sidecar, options["classes"])
    write_json_atomic(task["sidecar"], sidecar)  # last: it marks the output complete
    out = report.as_dict()
    out.pop("path")
    out["duration"] = out.pop("seconds")
    if stems:
        out["stems"] = [str(p) for p in stems]
    out["limiter"] = {"engaged": report.limiter.engaged,
                      "max_reduction_db": report.limiter.max_reduction_db,
                      "reduced_seconds": report.limiter.reduced_seconds}
    return out


# -- pools ------------------------------------------------------------------------------


def _worker_main(conn):
    import signal

    # the parent handles interrupts; SIGTERM (the parent stopping us) unwinds
    # the render, so its temporary files are removed on the way out
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from ..interrupts import stop_on

    stop_on(signal.SIGTERM, lambda signum: SystemExit(128 + signum))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(run_task(task))


def _death(process):
    import signal

    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process was killed by {name} while rendering; run again to render it"
    return f"the worker process exited with status {code} while rendering; run again to render it"


class ProcessPool:
    """``jobs`` worker processes, one task each at a time."""

    def __init__(self, jobs):
        import multiprocessing

        self.jobs = max(1, int(jobs))
        self._context = multiprocessing.get_context("spawn")
        self._workers = []

    def _start(self):
        import signal

        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child,), daemon=True)
        # ignored signals stay ignored across exec: the worker does not see
        # a Ctrl-C meant for the parent even while it starts up
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            process.start()
        finally:
            signal.signal(signal.SIGINT, previous)
        child.close()
        return [process, parent, None]

    def start(self, count=None):
        """Start the workers now (they take seconds to import), ahead of
        :meth:`run`; at most ``count``."""
        count = self.jobs if count is None else min(self.jobs, count)
        while len(self._workers) < count:
            self._workers.append(self._start())

    def close(self):
        """Stop workers started ahead that :meth:`run` never used."""
        self._stop(self._workers)
        self._workers = []

    def run(self, tasks, on_result):
        """Render every task of an iterable (drawn as workers come free).

        Parameters
        ----------
        tasks : iterable of dict
        on_result : callable
            Called with each task's record, in the order they finish.
        """
        from multiprocessing.connection import wait

        pending = iter(tasks)
        queued = []  # drawn ahead, for idle workers
        exhausted = False
        workers, self._workers = self._workers, []
        try:
            while True:
                for w in workers:
                    if w[2] is None and not exhausted:
                        task = queued.pop() if queued else next(pending, None)
                        if task is None:
                            exhausted = True
                        else:
                            w[2] = task
                            w[1].send(task)
                if not exhausted and len(workers) < self.jobs:
                    task = next(pending, None)
                    if task is None:
                        exhausted = True
                    else:
                        queued.append(task)
                        workers.append(self._start())
                        continue
                busy = [w for w in workers if w[2] is not None]
                if not busy:
                    break
                ready = wait([w[1] for w in busy] + [w[0].sentinel for w in busy])
                for w in busy:
                    if w[1] in ready or w[0].sentinel in ready:
                        result = None
                        try:
                            if w[1].poll():
                                result = w[1].recv()
                        except (EOFError, OSError):
                            result = None
                        if result is None and w[0].is_alive():
                            continue
                        task, w[2] = w[2], None
                        if result is None:  # died mid-render
                            w[0].join()
                            remove_temporaries(task["output"])
                            result = failed_record(task, _death(w[0]))
                            workers[workers.index(w)] = self._start()
                        on_result(result)
        finally:
            self._stop(workers)

    @staticmethod
    def _stop(workers):
        for process, conn, task in workers:
            if process.is_alive():
                if task is None:
                    try:
                        conn.send(None)
                    except OSError:
                        process.terminate()
                else:
                    process.terminate()
        for process, conn, task in workers:
            process.join(timeout=20)
            if process.is_alive():
                process.kill()
                process.join()
            if task is not None:
                remove_temporaries(task["output"])
            conn.close()


class DaskPool:
    """The tasks as futures on a ``dask.distributed`` cluster."""

    def __init__(self, scheduler, jobs, retries):
        self.scheduler = scheduler
        self.jobs = jobs
        self.retries = retries

    def run(self, tasks, on_result):
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise SpatialAsmrError("a Dask scheduler needs dask.distributed; "
                                   "pip install 'dask[distributed]'") from None
        import uuid

        cluster = None
        own = True
        if hasattr(self.scheduler, "submit"):  # a distributed.Client of the caller's
            client, own = self.scheduler, False
        elif self.scheduler == "local":
            cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            try:
                client = Client(self.scheduler, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise SpatialAsmrError(f"cannot reach the Dask scheduler at "
                                       f"{self.scheduler}: {exc}") from None
        futures = {}
        try:
            for task in tasks:
                task = dict(task, remote=True)
                # a key of its own: a scheduler shared by several batches (or
                # shards) must not hand one batch another's result
                future = client.submit(run_task, task, pure=False, retries=self.retries,
                                       key=f"spatial-asmr-{task['name']}-{uuid.uuid4().hex}")
                futures[future] = task
            for future in as_completed(list(futures)):
                task = futures.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker, not the scene
                    remove_temporaries(task["output"])
                    result = failed_record(task, f"the cluster lost the task "
                                           f"({type(exc).__name__}: {exc}); run again to "
                                           "render it")
                on_result(result)
        finally:
            for future, task in futures.items():
                future.cancel()
                remove_temporaries(task["output"])
            if own:
                client.close()
            if cluster is not None:
                cluster.close()


def failed_record(task, error):
    from .. import __version__

    return {"index": task["index"], "scene": task["label"], "name": task["name"],
            "key": task["key"], "output": task["output"], "sidecar": task["sidecar"],
            "status": "failed", "error": error, "host": socket.gethostname(), "worker": None,
            "version": __version__}
