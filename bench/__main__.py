"""`python -m bench` (what `make bench` runs): every benchmark against a local stack started
on free ports, results in bench/results/*.json, then bench/results/summary.md and plots.

    python -m bench                      # everything (a few minutes)
    python -m bench --quick              # fewer repeats and smaller runs, for a quick look
    python -m bench --only work,crypto   # some benchmarks; the summary uses the rest's last results
"""
import argparse
import json
import os
import sys
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
NAMES = ("coldstart", "work", "crypto", "load", "fanout", "capacity")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller runs")
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated, of: {', '.join(NAMES)}")
    args = parser.parse_args(argv)
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(NAMES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()
    over_budget = run(chosen, args.quick)
    from bench import report

    summary = report.write(RESULTS)
    print(f"\nWrote {summary} in {time.monotonic() - started:.0f} s.")
    if over_budget:
        print("Over budget (bench/budget.json):\n  " + "\n  ".join(over_budget), file=sys.stderr)
        return 1
    return 0


def run(chosen, quick):
    """Run the chosen benchmarks, writing each one's results; the work over budget, if any."""
    from bench import capacity, coldstart, crypto, fanout, load, work
    from bench.clients import raise_open_file_limit
    from bench.environment import Services, Stack, machine

    raise_open_file_limit()
    context = {"machine": machine(), "quick": quick}
    over_budget = []
    if "coldstart" in chosen:  # first, while nothing else of ours is running
        print("cold start: import times in fresh interpreters", flush=True)
        imports = coldstart.measure_imports(rounds=5 if quick else 15)
    with Services() as services:
        context["mongo"] = services.mongo
        if "coldstart" in chosen:
            print("cold start: memory of each function's first invocation", flush=True)
            _write("coldstart", context, {"imports": imports, "profile": coldstart.import_profile(),
                                          "compile": coldstart.compile_cost(), "memory": coldstart.measure_memory()})
        if "work" in chosen:
            print("work per operation", flush=True)
            counts = work.measure()
            over_budget = work.over_budget(counts, work.load_budget())
            _write("work", context, {"operations": counts, "descriptions": work.OPERATIONS,
                                     "budget": work.load_budget()["operations"], "overBudget": over_budget})
        if "crypto" in chosen:
            print("crypto", flush=True)
            _write("crypto", context, crypto.run(messages=200 if quick else 1000))
        if "load" in chosen or "fanout" in chosen:
            with Stack(services) as stack:
                if "load" in chosen:
                    print("delivery under load", flush=True)
                    _write("load", context, load.run(stack, services, seconds=10 if quick else 30))
                if "fanout" in chosen:  # last: it leaves 1,000 disconnections for the stack to finish
                    print("fan-out", flush=True)
                    figures = fanout.run(stack, services, repeats=1 if quick else 3)
                    figures["poolEffect"] = fanout.pool_effect()
                    _write("fanout", context, figures)
    if "capacity" in chosen:
        print("capacity model", flush=True)
        measured_work = _read("work")["operations"]
        sizes = _read("fanout")["sizes"]
        # CPU time inflates when other work shares the cores: the least disturbed figure is the truest.
        cpu_ms_per_post = min(figures["serialCpuMsPerPost"] for figures in sizes.values())
        _write("capacity", context, capacity.model(measured_work, cpu_ms_per_post))
    return over_budget


def _write(name, context, results):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, f"{name}.json"), "w", encoding="utf-8") as out:
        json.dump({**context, "results": results}, out, indent=1, sort_keys=False)
        out.write("\n")


def _read(name):
    with open(os.path.join(RESULTS, f"{name}.json"), encoding="utf-8") as found:
        return json.load(found)["results"]


if __name__ == "__main__":
    sys.exit(main())
