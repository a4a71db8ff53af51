"""Child processes of the local stack: start, wait until they answer, stop without orphans."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time


class PortTaken(RuntimeError):
    pass


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_port_free(port, what):
    """PortTaken with a clear message if something already listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortTaken(
                f"Port {port} ({what}) is already in use. Stop whatever holds it, or choose "
                f"another port (see README: HTTP_PORT, WS_PORT, MONGO_PORT, AWS_PORT)."
            ) from None


def wait_for_port(port, process, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} while starting.")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start listening on port {port} within {timeout:.0f}s.")


def start(argv, port, what, log_path=None, env=None):
    """Start `argv` in its own process group and wait until it listens on `port`."""
    ensure_port_free(port, what)
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        argv,
        stdout=output,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,  # its own group: stopping it stops its children too
    )
    try:
        wait_for_port(port, process, what)
    except BaseException:
        stop(process)
        raise
    return process


def stop(process, timeout=10.0):
    """Stop a process started by `start` and everything it started."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start_mongo(port, storage_path, log_path=None):
    """The embedded MongoDB wire-protocol server (SecantusDB) on 127.0.0.1:port."""
    os.makedirs(storage_path, exist_ok=True)
    argv = [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
            "--storage-path", storage_path, "--log-level", "WARNING"]
    return start(argv, port, "MongoDB (SecantusDB)", log_path)


def start_moto(port, log_path=None, kms_state=None):
    """moto's server, standing in for SQS, KMS and S3, on 127.0.0.1:port (its S3 checks
    upload forms' policies as S3 does: devstack/post_policy.py).

    With `kms_state` (a file path), the local KMS master key keeps its id and material
    across restarts (see devstack/moto_main.py).
    """
    launcher = ["devstack.moto_main", *(["--kms-state", kms_state] if kms_state else [])]
    argv = [sys.executable, "-m", *launcher, "-H", "127.0.0.1", "-p", str(port)]
    return start(argv, port, "moto (SQS, KMS, S3)", log_path)
