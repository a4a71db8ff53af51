"""`python -m bench` (what `make bench` runs): every benchmark against a local stack started
on free ports, results in bench/results/*.json, then bench/results/summary.md and plots.

    python -m bench                      # everything (a few minutes)
    python -m bench --quick              # fewer repeats and smaller runs, for a quick look
    python -m bench --only work,crypto   # some benchmarks; the summary uses the rest's last results
    python -m bench --smoke --results DIR  # every benchmark at tiny sizes (tests/bench/test_smoke.py)
"""
import argparse
import json
import os
import sys
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
NAMES = ("coldstart", "work", "crypto", "load", "fanout", "capacity", "cost")

# The sizes of a run. `smoke` only proves that every benchmark still runs (its figures mean
# nothing); it still sends more messages than one user's send limit allows, the way the
# real run does, so a new limit cannot break `make bench` unnoticed.
PROFILES = {
    "full": {"importRounds": 15, "profileRuns": 3, "compileRepeats": 5, "cryptoMessages": 1000,
             "cryptoBatches": 7, "cryptoPerBatch": 2000, "workers": 4,
             "load": {"seconds": 30}, "fanout": {"repeats": 3}, "pool": {}},
    "quick": {"importRounds": 11, "profileRuns": 3, "compileRepeats": 5, "cryptoMessages": 200,
              "cryptoBatches": 7, "cryptoPerBatch": 2000, "workers": 4,
              "load": {"seconds": 10}, "fanout": {"repeats": 1}, "pool": {}},
    "smoke": {"importRounds": 1, "profileRuns": 1, "compileRepeats": 1, "cryptoMessages": 70,
              "cryptoBatches": 1, "cryptoPerBatch": 10, "workers": 2,
              "load": {"seconds": 2, "groups": 2, "members": 3, "rate": 5.0, "grace_seconds": 10},
              "fanout": {"repeats": 1, "sizes": (3, 5)}, "pool": {"connections": 10, "latency_ms": 1.0, "repeats": 1}},
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="fewer repeats and smaller runs")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes: only proves every benchmark runs")
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated, of: {', '.join(NAMES)}")
    parser.add_argument("--results", default=RESULTS, help="where the results go (default: bench/results)")
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    started = time.monotonic()
    over_budget = run(chosen, profile, args.results)
    from bench import report

    summary = report.write(args.results)
    print(f"\nWrote {summary} in {time.monotonic() - started:.0f} s.")
    if over_budget:
        print("Over budget (bench/budget.json):\n  " + "\n  ".join(over_budget), file=sys.stderr)
        return 1
    return 0


def run(chosen, profile="full", results=RESULTS):
    """Run the chosen benchmarks at `profile`'s sizes, writing each one's results into
    `results`; the work over budget, if any."""
    from bench import capacity, coldstart, cost, crypto, fanout, load, work
    from bench.clients import raise_open_file_limit
    from bench.environment import Services, Stack, machine

    sizes = PROFILES[profile]
    raise_open_file_limit()
    context = {"machine": machine(), "quick": profile != "full", "profile": profile}
    over_budget = []

    def write(name, figures):
        _write(results, name, context, figures)

    if "coldstart" in chosen:  # first, while nothing else of ours is running
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="bench-package-")
        shipped, why_not = (None, "a smoke run times the checkout") if profile == "smoke" else \
            coldstart.shipped_package(scratch.name)
        print(f"cold start: import times in fresh interpreters, on the {'package' if shipped else 'checkout'}"
              + (f" ({why_not})" if why_not else ""), flush=True)
        imports = coldstart.measure_imports(rounds=sizes["importRounds"], root=shipped)
        imports["notOnPackage"] = why_not
        profile_of_imports = coldstart.import_profile(runs=sizes["profileRuns"], root=shipped)
        scratch.cleanup()
    # A smoke run keeps apart from a real run's databases (it may share their MongoDB).
    suffix = "_smoke" if profile == "smoke" else ""
    with Services(database=f"bench_inproc{suffix}", queue_name=f"bench-fanout-inproc{suffix}") as services:
        context["mongo"] = services.mongo
        if "coldstart" in chosen:
            print("cold start: memory of each function's first invocation", flush=True)
            write("coldstart", {"imports": imports, "profile": profile_of_imports,
                                "compile": coldstart.compile_cost(repeats=sizes["compileRepeats"]),
                                "memory": coldstart.measure_memory()})
        if "work" in chosen:
            print("work per operation", flush=True)
            counts = work.measure()
            over_budget = work.over_budget(counts, work.load_budget())
            for name, figures in counts.items():
                print(f"  {name}: {figures['mongo']} MongoDB command(s), {figures['aws']} AWS call(s)")
                for line in work.command_lines(figures):
                    print(f"    {line}")
            write("work", {"operations": counts, "descriptions": work.OPERATIONS,
                           "budget": work.load_budget()["operations"], "overBudget": over_budget})
        if "crypto" in chosen:
            print("crypto", flush=True)
            write("crypto", crypto.run(messages=sizes["cryptoMessages"], batches=sizes["cryptoBatches"],
                                       per_batch=sizes["cryptoPerBatch"]))
        if "load" in chosen or "fanout" in chosen:
            with Stack(services, workers=sizes["workers"], database=f"bench_stack{suffix}") as stack:
                if "load" in chosen:
                    print("delivery under load", flush=True)
                    write("load", load.run(stack, services, **sizes["load"]))
                if "fanout" in chosen:  # last: it leaves 1,000 disconnections for the stack to finish
                    print("fan-out", flush=True)
                    figures = fanout.run(stack, services, **sizes["fanout"])
                    figures["poolEffect"] = fanout.pool_effect(**sizes["pool"])
                    write("fanout", figures)
    if "capacity" in chosen or "cost" in chosen:
        measured_work = _read(results, "work")["operations"]
        fanout_sizes = _read(results, "fanout")["sizes"]
        # CPU time inflates when other work shares the cores: the least disturbed figure is the truest.
        cpu_ms_per_post = min(figures["serialCpuMsPerPost"] for figures in fanout_sizes.values())
        if "capacity" in chosen:
            print("capacity model", flush=True)
            write("capacity", capacity.model(measured_work, cpu_ms_per_post))
        if "cost" in chosen:
            print("cost model", flush=True)
            write("cost", cost.model(measured_work, cpu_ms_per_post))
    return over_budget


def _write(results, name, context, figures):
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, f"{name}.json"), "w", encoding="utf-8") as out:
        json.dump({**context, "results": figures}, out, indent=1, sort_keys=False)
        out.write("\n")


def _read(results, name):
    with open(os.path.join(results, f"{name}.json"), encoding="utf-8") as found:
        return json.load(found)["results"]


if __name__ == "__main__":
    sys.exit(main())
