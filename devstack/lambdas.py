"""Lambda-like workers: a pool of processes, each importing `app` once and running one
invocation at a time, as Lambda execution environments do. Handlers run unchanged."""
import concurrent.futures
import multiprocessing
import time
import uuid

_app_module = None


class LambdaContext:
    """The attributes of Lambda's context object that handlers may read."""

    def __init__(self, function_name, timeout_seconds=30):
        self.function_name = function_name
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 128
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _load_app():
    global _app_module
    import signal

    # Ctrl-C reaches the whole process group; the parent alone decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import app as app_module  # the project's own app.py, as Lambda imports it

    _app_module = app_module


def _invoke(handler_name, event):
    handler = getattr(_app_module, handler_name)
    return handler(event, LambdaContext(handler_name))


class LambdaPool:
    """Invoke app handlers by name in a pool of worker processes."""

    def __init__(self, workers=4):
        context = multiprocessing.get_context("spawn")
        self._pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_load_app
        )

    def warm_up(self):
        """Import the app in every worker now rather than on the first requests."""
        list(self._pool.map(_noop, range(self._pool._max_workers)))

    async def invoke(self, handler_name, event):
        import asyncio

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _invoke, handler_name, event)

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)


def _noop(_):
    time.sleep(0.05)
    return True
