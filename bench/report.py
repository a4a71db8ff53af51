"""bench/results/summary.md (and its plots) from the latest bench/results/*.json."""
import json
import os


def write(results_dir):
    """Write summary.md (and PNG plots) from whatever results exist; the summary's path."""
    found = {}
    for name in ("coldstart", "work", "crypto", "fanout", "load", "capacity", "cost"):
        path = os.path.join(results_dir, f"{name}.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as results:
                found[name] = json.load(results)
    plots = _plots(found, results_dir)
    sections = [_header(found), "## Headline figures\n\n" + headline(found)]
    for name, render in (("coldstart", _coldstart), ("work", _work), ("fanout", _fanout), ("load", _load),
                         ("crypto", _crypto), ("capacity", _capacity), ("cost", _cost)):
        if name in found:
            sections.append(render(found[name], plots))
    path = os.path.join(results_dir, "summary.md")
    with open(path, "w", encoding="utf-8") as summary:
        summary.write("\n\n".join(sections).rstrip() + "\n")
    return path


def headline(found):
    """The few figures worth quoting, as a Markdown table (also copied into docs/benchmarks.md)."""
    rows = ["| Figure | Latest (local) | Goal |", "| --- | --- | --- |"]
    if "coldstart" in found:
        results = found["coldstart"]["results"]
        imports, memory = results["imports"], results["memory"]
        peak = max(memory.values(), key=lambda figures: figures["peakRssMb"])
        rows += [
            f"| Cold start: `import app` + first request's imports, against `import boto3, pymongo` (CPU) | "
            f"{_ratios(imports)} ({imports['appFirstRequest']['medianMs']:.0f} against "
            f"{imports['floor']['medianMs']:.0f} ms, on the {imports.get('measuredOn', 'checkout')}) | ≤ 1.05× |",
            f"| Peak memory of a function's first invocation (largest of the five) | {peak['peakRssMb']:.0f} MB | "
            f"≤ 128 MB |",
        ]
    if "work" in found:
        operations = found["work"]["results"]["operations"]
        rows.append(
            f"| MongoDB round trips: group send / history page / fan-out job | {operations['send']['mongo']} / "
            f"{operations['historyPage']['mongo']} / {operations['fanoutJob']['mongo']} | within "
            f"`bench/budget.json` ({'yes' if not found['work']['results']['overBudget'] else '**no**'}) |")
    if "fanout" in found:
        results = found["fanout"]["results"]
        largest = list(results["sizes"].values())[-1]
        rows.append(f"| Fan-out to {largest['clients']:,} clients through the local stack | "
                    f"{largest['allDeliveredMs'] / 1000:.1f} s ({largest['postsPerSecond']:.0f} posts/s); serial "
                    f"{largest['serialAllDeliveredMs'] / 1000:.1f} s: {largest['speedupOverSerial']}× | — |")
        if "poolEffect" in results:
            pool = results["poolEffect"]
            rows.append(f"| Fan-out pool with {pool['simulatedLatencyMs']:.0f} ms per post (simulated) | "
                        f"{pool['speedup']}× faster than one post at a time | — |")
    if "load" in found:
        r = found["load"]["results"]
        steady = r.get("sendToReceiveMsAfterWarming") or {}
        if steady.get("p50") is None:  # a run shorter than the warming seconds
            steady = r["sendToReceiveMs"]
        rows += [
            f"| Under load ({r['clients']} clients, {r['targetRate']:g} messages/s, {r['seconds']:.0f} s): send to "
            f"receive p50 / p95 / p99, after warming | {steady['p50']:.0f} / {steady['p95']:.0f} / "
            f"{steady['p99']:.0f} ms | — |",
            f"| Lost deliveries; duplicates with a new id | {r['lost']}; {r['duplicatesWithNewId']} "
            f"({r['duplicates']} redelivered copies with the same id) | 0; 0 |",
        ]
    if "crypto" in found:
        r = found["crypto"]["results"]
        text = r["cipher"]["200"]
        rows += [
            f"| AES-GCM per message (200 characters): seal / open | {text['sealUs']:.0f} / "
            f"{text['openUs']:.0f} µs | — |",
            f"| KMS calls per {r['kms']['messages']:,} messages (10 conversations): send; read back, cold cache | "
            f"{r['kms']['send']['calls']}; {r['kms']['readBackColdCache']['calls']} | one per conversation |",
        ]
    if "capacity" in found:
        first = found["capacity"]["results"]["bindsAt"][0]
        rows.append(f"| First quota to bind (capacity model) | {first['quota']}, at {first['users']:,} connected "
                    f"users | — |")
    if "cost" in found:
        r = found["cost"]["results"]
        largest = list(r["at"])[-1]
        rows.append(f"| Cost at list prices ({r['pricesAsOf']}): per million messages with their fan-out; per "
                    f"thousand connected users a month (at {int(largest):,}) | ${r['perMillionMessages']['blended']:,.2f}; "
                    f"${r['at'][largest]['perThousandUsers']:,.2f} | — |")
    return "\n".join(rows)


def _header(found):
    runs = {}
    for name, run in found.items():
        machine = run.get("machine", {})
        described = (f"{machine.get('when', '?')}{_profile(run)}, "
                     f"{machine.get('cpus', '?')} CPUs (load average {machine.get('loadAverageAtStart', '?')} at "
                     f"the start), Python {machine.get('python', '?')}, MongoDB: {run.get('mongo', '?')}")
        runs.setdefault(described, []).append(name)
    lines = [
        "# Benchmark results",
        "",
        "Local measurements on one development machine, written by `make bench` (`python -m bench`). "
        "They compare designs and catch regressions; they are not what AWS will show. What each "
        "figure means, and the capacity model's assumptions: docs/benchmarks.md.",
        "",
    ]
    lines += [f"- {', '.join(names)}: {described}" for described, names in runs.items()]
    return "\n".join(lines)


def _coldstart(run, plots):
    results = run["results"]
    imports, memory = results["imports"], results["memory"]
    lines = [
        "## Cold start",
        "",
        f"Import time (CPU) in fresh interpreters, median of {imports['rounds']} alternating rounds, on "
        + ("the package as shipped (`make package`'s deployment.zip, unpacked, with its bytecode):"
           if imports.get("measuredOn") == "package" else
           f"this checkout ({imports.get('notOnPackage') or 'not packaged'}):"),
        "",
        "| What is imported | CPU ms | Wall ms | Against the floor |",
        "| --- | ---: | ---: | ---: |",
        f"| `import boto3, pymongo` (the floor) | {imports['floor']['medianMs']} | "
        f"{imports['floor']['medianWallMs']} | 1.00× |",
        f"| `import app` | {imports['app']['medianMs']} | {imports['app']['medianWallMs']} | "
        f"{imports['ratioAppToFloor']:.2f}× |",
        f"| `import app` + the first request's imports (pymongo, boto3, bcrypt, jwt, AES-GCM) | "
        f"{imports['appFirstRequest']['medianMs']} | {imports['appFirstRequest']['medianWallMs']} | "
        f"**{_ratios(imports)}** (goal ≤ 1.05×) |",
        "",
        *([f"The floor and the app + first request run back to back in each round, which one first "
           f"alternating; the per-round ratios' quartiles are {imports['perRoundRatioQuartiles'][0]:.2f}× to "
           f"{imports['perRoundRatioQuartiles'][1]:.2f}× (wide: the machine was busy).", ""]
          if imports.get("perRoundRatioQuartiles") else []),
        "Beyond the floor, the first request's imports spend (ms of self time by package, `-X importtime`, "
        "wall, median of 3): "
        + ", ".join(f"{package} {ms}" for package, ms in results.get("profile", {}).items()) + ".",
        "",
    ]
    compiled = results.get("compile")
    if compiled:
        lines += [
            f"If the deployment package carries no bytecode, every cold start also compiles the app's "
            f"{compiled['app']['files']} modules ({compiled['app']['cpuMs']} ms of CPU here) and chalice/app.py, "
            f"which `chalice package` ships as source ({compiled['chalice']['cpuMs']} ms): Lambda's file system "
            "is read-only, so nothing is cached between cold starts.",
            "",
        ]
    lines += [
        "Memory of each function's first invocation in a fresh process (the REST function's is a "
        "50-message history read):",
        "",
        "| Function | RSS after import (MB) | Peak RSS after first invocation (MB) | Import (ms) "
        "| First invocation (ms) | Fits 128 MB |",
        "| --- | ---: | ---: | ---: | ---: | :---: |",
    ]
    for function, figures in memory.items():
        lines.append(f"| `{function}` | {figures['rssAfterImportMb']} | {figures['peakRssMb']} | {figures['importMs']} "
                     f"| {figures['firstInvocationMs']} | {'yes' if figures['fits128Mb'] else '**no**'} |")
    lines += _image(plots, "coldstart")
    return "\n".join(lines)


def _ratios(imports):
    """The import-time ratio as the ratio of the medians and the median of the per-round ratios."""
    of_medians = imports.get("ratioOfMedians")
    per_round = imports["ratioAppFirstRequestToFloor"]
    if of_medians is None or abs(of_medians - per_round) < 0.005:
        return f"{per_round:.2f}×"
    return f"{of_medians:.2f}× (ratio of medians) / {per_round:.2f}× (median of per-round ratios)"


def _work(run, plots):
    results = run["results"]
    lines = [
        "## Work per operation",
        "",
        "MongoDB commands and AWS calls per operation, warm, counted exactly (pymongo command "
        "monitoring, botocore `before-call`), against `bench/budget.json`:",
        "",
        "| Operation | MongoDB | AWS | Budget (MongoDB / AWS) | Commands | AWS calls |",
        "| --- | ---: | ---: | :---: | --- | --- |",
    ]
    for name, counts in results["operations"].items():
        budget = results["budget"].get(name, {})
        commands = ", ".join(f"{command} {count}" for command, count in counts["mongoCommands"].items())
        calls = ", ".join(f"{call} {count}" for call, count in counts["awsCalls"].items()) or "—"
        lines.append(f"| {results['descriptions'].get(name, name)} | {counts['mongo']} | {counts['aws']} | "
                     f"{budget.get('mongo', '?')} / {budget.get('aws', '?')} | {commands} | {calls} |")
    lines += ["", "Within budget." if not results["overBudget"] else
              "**Over budget:** " + "; ".join(results["overBudget"])]
    from bench.work import command_lines

    lines += ["", "<details><summary>Where each MongoDB command goes (collection, command, the storage "
                  "function and the use case that made it)</summary>", ""]
    for name, counts in results["operations"].items():
        if counts.get("queries") and any("why" in query for query in counts["queries"]):
            lines.append(f"- **{name}** ({counts['mongo']}): " + "; ".join(
                f"`{line}`" for line in command_lines(counts)))
    lines += ["", "</details>"]
    return "\n".join(lines)


def _fanout(run, plots):
    results = run["results"]
    lines = [
        "## Fan-out",
        "",
        "One message to N connected WebSocket clients (the members of one group) through the local "
        "stack — REST send, SQS, the `fanout` handler, the local gateway's @connections API — "
        f"against the same N posts made one at a time; median of {results['repeats']} run(s) each.",
        "",
        "| N | REST send (ms) | First delivered (ms) | All delivered (ms) | Posts/s | Serial: all delivered (ms) "
        "| Serial posts/s | Speed-up over serial |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, figures in results["sizes"].items():
        lines.append(f"| {size} | {figures['restMs']} | {figures['firstDeliveryMs']} | {figures['allDeliveredMs']} | "
                     f"{figures['postsPerSecond']} | {figures['serialAllDeliveredMs']} | "
                     f"{figures['serialPostsPerSecond']} | {figures['speedupOverSerial']}× |")
    largest = list(results["sizes"].values())[-1]
    pool = results.get("poolEffect")
    lines += [
        "",
        f"- {results['connect']['clients']} clients connected at {results['connect']['perSecond']} connections/s.",
        f"- One post costs {largest['serialCpuMsPerPost']} ms of CPU in the posting process (the app's pusher: the JSON, SigV4 signing, the HTTP exchange).",
    ]
    if "consumerDbReadsMs" in largest:
        lines.append(f"- For N = {largest['clients']}, the consumer's two MongoDB reads for one job of 500 "
                     f"members take {largest['consumerDbReadsMs']} ms on this MongoDB.")
    if pool:
        lines.append(f"- With a simulated {pool['simulatedLatencyMs']:.0f} ms round trip per @connections post, "
                     f"the consumer delivers to {pool['connections']} connections in {pool['pool']['ms']} ms on "
                     f"its pool of {pool['pool']['workers']} threads ({pool['pool']['postsPerSecond']} posts/s) "
                     f"against {pool['serial']['ms']} ms one at a time: {pool['speedup']}×.")
    lines += _image(plots, "fanout")
    return "\n".join(lines)


def _load(run, plots):
    r = run["results"]
    lines = [
        "## Delivery under load",
        "",
        f"{r['clients']} clients in {r['groups']} groups of {r['membersPerGroup']}, sending {r['targetRate']} "
        f"messages/s over REST for {r['seconds']:.0f} s (achieved {r['achievedRate']}/s); each message goes to "
        f"every member of its group; one fan-out batch crashed on purpose halfway (SQS redelivers it).",
        "",
        "| | p50 | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: |",
        _percentile_row("REST send (ms)", r["restMs"]),
        _percentile_row("Send to receive (ms)", r["sendToReceiveMs"]),
    ]
    if "restMsAfterWarming" in r:
        lines += [_percentile_row(f"REST send, after the first {r['warmingSeconds']} s (ms)", r["restMsAfterWarming"]),
                  _percentile_row(f"Send to receive, after the first {r['warmingSeconds']} s (ms)",
                                  r["sendToReceiveMsAfterWarming"])]
    breakdown = r.get("breakdown")
    if breakdown:
        lines += [
            "",
            "Where the time goes (whole run; the SQS hop and stored-to-post from the consumer's own "
            "`FanoutWait` and `DeliveryLag` metrics in the stack's log):",
            "",
            "| | p50 | p95 | p99 | max |",
            "| --- | ---: | ---: | ---: | ---: |",
            _percentile_row("REST send (ms)", breakdown["restMs"]),
            _percentile_row("… of which until the message is stored (ms)", breakdown["restUntilStoredMs"]),
            _percentile_row("Stored to received (ms)", breakdown["storedToReceiveMs"]),
            _percentile_row("… SQS hop: enqueued to taken up (ms)", breakdown["sqsHopMs"]),
            _percentile_row("… stored to posted (ms)", breakdown["storedToPostMs"]),
        ]
        if "postToReceiveMedianMs" in breakdown:
            lines += ["", f"Medians: the consumer's work before it posts ≈ {breakdown['consumerBeforePostMedianMs']} "
                          f"ms (stored to posted, less the SQS hop); the post's way to the client ≈ "
                          f"{breakdown['postToReceiveMedianMs']} ms."]
    lines += [
        "",
        f"- Sent {r['sent']}, accepted {r['accepted']}, failed {r['failed']}"
        + (f" (statuses {r['failedStatuses']})." if r["failedStatuses"] else "."),
        f"- Deliveries: {r['expectedDeliveries']} expected, {r['deliveriesPerSecond']}/s.",
        f"- **Lost: {r['lost']}.** Duplicates: {r['duplicates']} "
        f"({'all' if not r['duplicatesWithNewId'] else 'not all'} redeliveries with the same message id; "
        f"{r['duplicatesWithNewId']} with a new id).",
    ]
    lines += _image(plots, "load")
    return "\n".join(lines)


def _percentile_row(label, values):
    return f"| {label} | {values['p50']} | {values['p95']} | {values['p99']} | {values['max']} |"


def _crypto(run, plots):
    r = run["results"]
    kms = r["kms"]
    lines = [
        "## Crypto",
        "",
        "| Text | Seal (µs) | Open (µs) |",
        "| ---: | ---: | ---: |",
    ]
    for size, figures in r["cipher"].items():
        lines.append(f"| {size} characters | {figures['sealUs']} | {figures['openUs']} |")
    lines += [
        "",
        f"KMS calls for {kms['messages']:,} messages in {kms['conversations']} new conversations: sending "
        f"{kms['send']['calls']} ({_operations(kms['send'])}); reading them all back ({kms['pagesRead']} pages) "
        f"with an empty key cache {kms['readBackColdCache']['calls']} ({_operations(kms['readBackColdCache'])}). "
        "That is one call per conversation per process per cache age (10 minutes), never one per message.",
    ]
    return "\n".join(lines)


def _operations(counted):
    return ", ".join(f"{name} {count}" for name, count in counted["byOperation"].items()) or "none"


def _capacity(run, plots):
    r = run["results"]
    users = list(r["at"])
    rows = [
        ("API Gateway requests/s (quota 10,000)", "apiGatewayRequestsPerSecond"),
        ("… of which @connections posts/s", "connectionsPostsPerSecond"),
        ("… of which presence posts/s (answers and pushed changes)", "presencePostsPerSecond"),
        ("… of which attachment requests/s (REST)", "attachmentRequestsPerSecond"),
        ("WebSocket new connections/s (quota 500)", "webSocketNewConnectionsPerSecond"),
        ("Minutes to reconnect everyone at 500/s", "reconnectEveryoneMinutes"),
        ("Warm Lambda environments", "warmEnvironments"),
        ("Atlas connections on the primary", "atlasConnectionsOnPrimary"),
        ("Smallest Atlas tier for those connections", "atlasTierForConnections"),
        ("MongoDB commands/s", "mongoCommandsPerSecond"),
        ("SQS messages/s", "sqsMessagesPerSecond"),
        ("KMS requests/s, at most (quota 5,500+)", "kmsRequestsPerSecondAtMost"),
        ("SNS mobile-push publishes/s (quota 1,500 to 30,000 by Region)", "snsPublishesPerSecond"),
    ]
    lines = [
        "## Capacity model",
        "",
        "From the measured work per operation and the usage profile in `bench/capacity.py` "
        "(docs/benchmarks.md explains every assumption).",
        "",
        "| Connected users | " + " | ".join(f"{int(count):,}" for count in users) + " |",
        "| --- |" + " ---: |" * len(users),
    ]
    for label, key in rows:
        lines.append(f"| {label} | " + " | ".join(_number(r["at"][count][key]) for count in users) + " |")
    lines.append("| Lambda concurrency (quota 1,000) | "
                 + " | ".join(_number(r["at"][count]["lambdaConcurrency"]["total"]) for count in users) + " |")
    per_user = r["perUserPerSecond"]
    lines += ["", f"Typing indicators are {per_user['typingPosts'] / per_user['posts']:.0%} of the @connections "
              "posts in this profile.", "",
              "Quotas in the order they bind (connected users at which each is reached):", ""]
    lines += [f"{index}. {item['quota']}: {item['users']:,}" for index, item in enumerate(r["bindsAt"], 1)]
    return "\n".join(lines)


def _cost(run, plots):
    from bench.cost import render

    return render(run)


def _number(value):
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


def _image(plots, name):
    return ["", f"![{name}]({os.path.basename(plots[name])})"] if name in plots else []


def _plots(found, results_dir):
    """{name: path} of the plots drawn (none if matplotlib is not installed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    drawn = {}
    for name, draw in (("coldstart", _plot_coldstart), ("fanout", _plot_fanout), ("load", _plot_load)):
        if name in found:
            path = os.path.join(results_dir, f"{name}.png")
            figure = draw(plt, found[name]["results"])
            figure.tight_layout()
            figure.savefig(path, dpi=100)
            plt.close(figure)
            drawn[name] = path
    return drawn


def _plot_coldstart(plt, results):
    figure, (times, memory) = plt.subplots(1, 2, figsize=(10, 3.8))
    imports = results["imports"]
    labels = {"floor": "boto3 + pymongo\n(floor)", "app": "app", "appFirstRequest": "app + first\nrequest's imports"}
    for position, (name, label) in enumerate(labels.items()):
        runs = imports[name]["runsMs"]
        times.bar(position, imports[name]["medianMs"], color="#8fb3d9")
        times.scatter([position] * len(runs), runs, color="#1f4e79", s=10, zorder=3)
    times.set_xticks(range(len(labels)), labels.values())
    times.set_ylabel("import CPU time (ms)")
    times.set_title(f"Import CPU time ({imports.get('ratioOfMedians', imports['ratioAppFirstRequestToFloor']):.2f}× "
                    "the floor)")
    functions = list(results["memory"])
    memory.barh(functions, [results["memory"][name]["peakRssMb"] for name in functions], color="#8fb3d9",
                label="peak RSS after first invocation")
    memory.barh(functions, [results["memory"][name]["rssAfterImportMb"] for name in functions], color="#1f4e79",
                label="after import app")
    memory.axvline(128, color="#c00000", linestyle="--", label="128 MB Lambda")
    memory.set_xlabel("MB")
    memory.set_title("Memory per function")
    memory.set_xlim(0, 140)
    memory.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.4, -0.15), ncol=3)
    return figure


def _plot_fanout(plt, results):
    figure, axes = plt.subplots(figsize=(6.5, 4))
    sizes = [int(size) for size in results["sizes"]]
    real = [results["sizes"][str(size)]["allDeliveredMs"] for size in sizes]
    serial = [results["sizes"][str(size)]["serialAllDeliveredMs"] for size in sizes]
    axes.plot(sizes, real, marker="o", label="through the stack (SQS, fanout handler, 32 threads)")
    axes.plot(sizes, serial, marker="s", label="serial baseline (one post at a time)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("connected clients (N)")
    axes.set_ylabel("time until all N received it (ms)")
    axes.set_title("Fan-out of one message (local stack)")
    axes.legend(fontsize=8)
    axes.grid(True, which="both", alpha=0.3)
    return figure


def _plot_load(plt, results):
    figure, axes = plt.subplots(figsize=(7, 4))
    timeline = results["timeline"]
    axes.scatter([row[0] for row in timeline], [row[1] for row in timeline], s=8, label="REST send")
    axes.scatter([row[0] for row in timeline], [row[2] for row in timeline], s=8,
                 label="send to receive (slowest member)")
    axes.set_xlabel("seconds into the run (message sent at)")
    axes.set_ylabel("ms")
    axes.set_title(f"Under load: {results['clients']} clients, {results['targetRate']:g} messages/s")
    axes.legend(fontsize=8)
    axes.grid(True, alpha=0.3)
    return figure


def _profile(run):
    """" (quick)" or " (smoke)" for a run at smaller sizes (older results say only "quick")."""
    profile = run.get("profile") or ("quick" if run.get("quick") else "full")
    return "" if profile == "full" else f" ({profile})"
