"""Cold start: what a fresh Lambda of this app pays before and during its first invocation.

Import time is the CPU time of the imports in fresh interpreters (time spent waiting for a
core that other work holds is not import time). Each round runs the floor and "app + first
request" back to back in ABBA order (which goes first alternates), so that drift in the
machine's load hits them alike; each figure is a median, and the ratio is given both as the
ratio of the medians and as the median of the per-round ratios (with their quartiles). The floor is `import boto3, pymongo`: every handler
needs both sooner or later. `import app` alone defers them (and bcrypt, jwt, cryptography)
to first use, so the honest figure is "import app + the first request's imports".

The imports are timed on the package as shipped: `make package`'s deployment.zip (Chalice's
zip of the app and its Linux wheels, plus the bytecode infra/ adds), unpacked, with boto3 from
the environment as the Lambda runtime provides it. Packaging needs PyPI once (Chalice fetches
the wheels); without it, or in a smoke run, they are timed on this checkout and the results
say so (`measuredOn`).

Memory: each Lambda function's handler runs once in a fresh process against the local
services; RSS after `import app` and the peak after that first invocation (the REST
function's being a 50-message history read) must fit 128 MB.

Runs as `python -m bench.coldstart --lambda <function>` for the memory children, so this
module's top level imports nothing heavy.
"""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAMBDA_MEMORY_MB = 128
LAMBDA_FUNCTION_NAME = "secure-messaging-bench"

IMPORTS = {
    "floor": "import boto3, pymongo",
    "app": "import app",
    "appFirstRequest": (
        "import app\n"
        "import pymongo, boto3, botocore.config, bcrypt, jwt\n"  # accounts, storage, queue, KMS
        "from cryptography.hazmat.primitives.ciphers.aead import AESGCM"  # message text
    ),
}
# CPU time is the figure (waiting for a core shared with other work is not import time); wall too.
_TIMED = ("import time\nwall, cpu = time.perf_counter(), time.process_time()\nexec({code!r})\n"
          "print(time.process_time() - cpu, time.perf_counter() - wall)")

FUNCTIONS = ("api_handler", "websocket_connect", "websocket_message", "websocket_disconnect", "fanout")
FANOUT_MEMBERS = 50
# The REST function's first invocation reads a page of history. The children call the
# handler with the route's template (devstack's router would bring aiohttp into the memory).
HISTORY_ROUTE = "/messages/{conversationId}"


def shipped_package(workspace):
    """The deployment package of the prod stage, unpacked under `workspace`: (its folder, None),
    or (None, why not)."""
    import functools
    import zipfile

    from infra import DeployError
    from infra.deploy import package, run_chalice
    from infra.stage import stage_values
    from tests.deploy.support import sample_outputs

    build, out, unpacked = (os.path.join(workspace, name) for name in ("build", "out", "package"))
    os.makedirs(os.path.join(workspace, "deployments"), exist_ok=True)
    os.makedirs(os.path.join(build, ".chalice"), exist_ok=True)
    os.symlink(os.path.join(workspace, "deployments"), os.path.join(build, ".chalice", "deployments"))
    try:
        package(ROOT, "prod", stage_values(sample_outputs("prod")), out, build,
                functools.partial(run_chalice, capture=True))
    except (DeployError, OSError) as failure:
        return None, f"could not package: {str(failure).splitlines()[0][:200]}"
    with zipfile.ZipFile(os.path.join(out, "deployment.zip")) as archive:
        archive.extractall(unpacked)
    return unpacked, None


def measure_imports(rounds=15, root=None):
    """{variant: {"medianMs", "runsMs", "medianWallMs"}, "ratio...": ...}: the CPU time of each
    variant's imports in fresh interpreters (and the wall time, for reference), in `root`
    (an unpacked package; None: this checkout, its bytecode written first)."""
    if root is None:
        _import_seconds(IMPORTS["appFirstRequest"])  # writes the app's bytecode, as the packages have theirs
    runs = {name: [] for name in IMPORTS}
    walls = {name: [] for name in IMPORTS}
    ratios = []
    for round_ in range(rounds):
        # The two variants of the ratio run back to back, in ABBA order (floor first in even
        # rounds, last in odd ones), so the machine's load drifting within a round, or from
        # round to round, weighs on both alike; `app` runs after the pair, never between.
        pair = ["floor", "appFirstRequest"] if round_ % 2 == 0 else ["appFirstRequest", "floor"]
        timed = {name: _import_seconds(IMPORTS[name], root) for name in pair + ["app"]}
        for name, (cpu, wall) in timed.items():
            runs[name].append(cpu * 1000)
            walls[name].append(wall * 1000)
        ratios.append(timed["appFirstRequest"][0] / timed["floor"][0])
    result = {name: {"medianMs": round(statistics.median(values), 1), "runsMs": [round(v, 1) for v in values],
                     "medianWallMs": round(statistics.median(walls[name]), 1)}
              for name, values in runs.items()}
    result["code"] = IMPORTS
    result["rounds"] = rounds
    result["measuredOn"] = "package" if root else "checkout"
    # Two estimates of one ratio; on a quiet machine they agree, on a busy one they bracket it.
    result["ratioOfMedians"] = round(result["appFirstRequest"]["medianMs"] / result["floor"]["medianMs"], 3)
    result["ratioAppFirstRequestToFloor"] = round(statistics.median(ratios), 3)  # median of per-round ratios
    result["ratioAppToFloor"] = round(result["app"]["medianMs"] / result["floor"]["medianMs"], 3)
    # How much the per-round ratios scatter (their quartiles): wide says the machine was busy.
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    result["perRoundRatioQuartiles"] = [round(quartiles[0], 3), round(quartiles[-1], 3)]
    return result


def import_profile(runs=3, root=None):
    """Where "import app + first request" spends its time beyond the floor: the self time of
    every module the floor does not import, by top-level package (median over `runs`, ms,
    from `python -X importtime`), in `root` as for `measure_imports`."""
    floor_modules = set(_import_times(IMPORTS["floor"], root))
    by_package = {}
    for _ in range(runs):
        totals = {}
        for module, self_us in _import_times(IMPORTS["appFirstRequest"], root).items():
            if module not in floor_modules:
                package = module.split(".")[0]
                totals[package] = totals.get(package, 0) + self_us / 1000
        for package, milliseconds in totals.items():
            by_package.setdefault(package, []).append(milliseconds)
    medians = {package: round(statistics.median(values), 1) for package, values in by_package.items()}
    return dict(sorted(medians.items(), key=lambda item: -item[1]))


def _import_times(code, root=None):
    """{module: self time in microseconds} of `code` in a fresh interpreter."""
    answer = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=root or ROOT, capture_output=True,
                            text=True, check=True, timeout=120, env=_child_env(root))
    times = {}
    for line in answer.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, _, name = line[len("import time:"):].split("|")
            times[name.strip()] = int(self_us)
    return times


def compile_cost(repeats=5):
    """CPU ms to compile the sources a cold start needs when the deployment package carries no
    bytecode for them (Lambda's file system is read-only, so nothing is cached between cold
    starts): the app's own modules, and chalice/app.py, which `chalice package` ships as source."""
    import glob

    import chalice

    chalice_dir = os.path.dirname(chalice.__file__)
    groups = {
        "app": [os.path.join(ROOT, "app.py")] + sorted(glob.glob(os.path.join(ROOT, "chalicelib", "**", "*.py"),
                                                                 recursive=True)),
        "chalice": [os.path.join(chalice_dir, "app.py"), os.path.join(chalice_dir, "__init__.py")],
    }
    costs = {}
    for name, paths in groups.items():
        sources = [(path, open(path, encoding="utf-8").read()) for path in paths]
        timings = []
        for _ in range(repeats):
            started = time.process_time()
            for path, source in sources:
                compile(source, path, "exec")
            timings.append((time.process_time() - started) * 1000)
        costs[name] = {"files": len(paths), "cpuMs": round(statistics.median(timings), 1)}
    return costs


def measure_memory():
    """{function: {"rssAfterImportMb", "peakRssMb", "importMs", "firstInvocationMs", "fits"}}.

    Needs the in-process services (bench.environment.Services) and sets up data for the
    handlers through them; each function then runs in a fresh child process.
    """
    setup = _set_up_invocations()
    results = {}
    env = _child_env()
    env.pop("AWS_LAMBDA_FUNCTION_NAME")  # the child names itself for the import only (_lambda_child)
    for function in FUNCTIONS:
        answer = subprocess.run([sys.executable, "-m", "bench.coldstart", "--lambda", function, json.dumps(setup)],
                                cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
        if answer.returncode != 0:
            raise RuntimeError(f"{function} child failed:\n{answer.stderr}")
        measured = json.loads(answer.stdout.strip().splitlines()[-1])
        measured["fits128Mb"] = measured["peakRssMb"] <= LAMBDA_MEMORY_MB
        results[function] = measured
    return results


def _child_env(root=None):
    """The environment of the measuring children: bytecode is written and used (a development
    shell may say PYTHONDONTWRITEBYTECODE, which would make every import of the app compile
    its sources, while the floor's packages come with bytecode). `compile_cost` is the other case.
    With a package's `root`, its modules come first, as /var/task does on Lambda."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if root:
        env["PYTHONPATH"] = root
    # The Lambda runtime names the function in every environment; app.py starts its cold start
    # without the garbage collector there (and only there). Every variant gets it alike.
    env["AWS_LAMBDA_FUNCTION_NAME"] = LAMBDA_FUNCTION_NAME
    return env


def _import_seconds(code, root=None):
    """(CPU seconds, wall seconds) that `code` takes in a fresh interpreter."""
    answer = subprocess.run([sys.executable, "-c", _TIMED.format(code=code)], cwd=root or ROOT, capture_output=True,
                            text=True, check=True, timeout=120, env=_child_env(root))
    cpu, wall = answer.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


def _set_up_invocations():
    """What each child's invocation needs: a member with a 50-message group, connections,
    and the fan-out jobs of one message to a group of FANOUT_MEMBERS connected members."""
    import app as app_module
    from bench.invoke import Handlers
    from bench.work import Actions

    do = Actions(Handlers(app_module))
    member = do.user()
    group = do.group(member)
    for index in range(50):
        do.send(member, group, f"message {index} " + "x" * 100)
    return {
        "token": member["token"],
        "groupId": group,
        "messageConnection": do.connect(member),
        "disconnectConnection": do.connect(member),
        "fanoutJobs": do.group_fanout_jobs(FANOUT_MEMBERS),
    }


def _lambda_child(function, setup):
    """Import the app, invoke `function`'s handler once, print what it cost (one JSON line)."""
    import uuid

    # Imported as on Lambda (its cold start without the collector until the first invocation
    # ends), then without the name, so that settings() keeps the local stage's rules.
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = LAMBDA_FUNCTION_NAME
    started = time.perf_counter()
    import app as app_module

    imported = time.perf_counter()
    os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    after_import = _memory_mb()["VmRSS"]
    from bench.invoke import Handlers

    handlers = Handlers(app_module)
    if function == "api_handler":
        group = setup["groupId"]
        assert HISTORY_ROUTE in app_module.app.routes, f"no route {HISTORY_ROUTE}: rename it here too"
        status, body = handlers.rest_to(HISTORY_ROUTE, {"conversationId": group}, "GET", f"/messages/{group}",
                                        token=setup["token"], query={"limit": "50"})
        assert status == 200 and len(body["messages"]) == 50, body
    elif function == "websocket_connect":
        assert handlers.ws_connect(uuid.uuid4().hex, setup["token"])["statusCode"] == 200
    elif function == "websocket_message":
        handlers.ws_message(setup["messageConnection"],
                            {"action": "sendMessage", "conversationId": setup["groupId"], "text": "cold"})
    elif function == "websocket_disconnect":
        handlers.ws_disconnect(setup["disconnectConnection"])
    elif function == "fanout":
        assert handlers.fanout(setup["fanoutJobs"]) == {"batchItemFailures": []}
    done = time.perf_counter()
    memory = _memory_mb()
    print(json.dumps({
        "importMs": round((imported - started) * 1000, 1),
        "firstInvocationMs": round((done - imported) * 1000, 1),
        "rssAfterImportMb": after_import,
        "rssAfterInvocationMb": memory["VmRSS"],
        "peakRssMb": memory["VmHWM"],
    }))


def _memory_mb():
    """VmRSS and VmHWM (peak RSS) of this process, in MB."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = round(int(value.split()[0]) / 1024, 1)
    return found


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--lambda":
        _lambda_child(sys.argv[2], json.loads(sys.argv[3]))
    else:
        sys.exit("usage: python -m bench.coldstart --lambda <function> <setup json> (python -m bench runs it)")
