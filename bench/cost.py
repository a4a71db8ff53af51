"""A cost model beside the capacity model (bench/capacity.py): dollars per million messages
and per thousand connected users per month, at list prices, from the measured work per
operation (bench/work.py) and the capacity model's usage profile and deployed durations.

Each operation is priced from what it was measured to do: its Lambda time (the capacity
model's deployed durations), its API Gateway request or WebSocket messages, and the AWS calls
bench/work.py counted (SQS, KMS); a fan-out job's @connections posts are WebSocket messages,
as many as the profile has connected devices. Then the profile's rates give a connected
user's month, and the fixed monthly costs (the Atlas tier the capacity model picks for the
connections, the KMS key, alarms, the dashboard, the custom metrics) are spread over the users.

PRICES are the published on-demand list prices for us-east-1 as of PRICES_AS_OF; SIZES are
assumptions (bytes of frames and log lines, requests per job), not measurements. Change
either here and rerun `python -m bench --only capacity,cost`. Free tiers and discounts are
left out: this is the list-price bill.
"""
import math
import os
import re

from bench import capacity

PRICES_AS_OF = "2025-06"
PRICES_SOURCE = ("aws.amazon.com/lambda/pricing, /api-gateway/pricing, /sqs/pricing, /kms/pricing, "
                 "/cloudwatch/pricing, /ec2/pricing/on-demand (data transfer); mongodb.com/pricing (Atlas "
                 "dedicated on AWS); us-east-1, on demand, first tier")
PRICES = {
    "lambdaPerRequest": 0.20 / 1e6,
    "lambdaPerGbSecond": 0.0000166667,  # x86_64, as Chalice deploys
    "restApiPerRequest": 3.50 / 1e6,  # REST API, first 333 million a month
    "webSocketPerMessage": 1.00 / 1e6,  # first billion a month; metered in 32 KB units, in or out
    "webSocketPerConnectionMinute": 0.25 / 1e6,
    "sqsPerRequest": 0.40 / 1e6,  # standard queue, per 64 KB unit
    "snsMobilePushPerPublish": 0.50 / 1e6,  # mobile push notifications (APNs, FCM)
    "kmsPerRequest": 0.03 / 1e4,
    "kmsKeyPerMonth": 1.00,
    "logsPerGbIngested": 0.50,
    "logsPerGbMonthStored": 0.03,  # the log groups keep 30 days: about one month's ingestion stays stored
    "customMetricPerMonth": 0.30,  # first 10,000 metrics (one per name and set of dimension values)
    "alarmPerMonth": 0.10,  # standard resolution, per metric an alarm reads
    "dashboardPerMonth": 3.00,
    "dataTransferOutPerGb": 0.09,  # to the internet, first 10 TB a month
    "atlasPerHour": {"M10": 0.08, "M20": 0.20, "M30": 0.54, "M40": 1.04, "M50": 2.00, "M60": 3.95},
}
HOURS_PER_MONTH = 730  # as AWS bills a month
SIZES = {
    "messageFrameBytes": 900,  # a `message` event as clients get it (JSON view, no attachments)
    "typingFrameBytes": 150,
    "restResponseBytes": 1_000,  # a send's answer
    "historyPageBytes": 25_000,  # 50 messages of about 500 bytes
    "logBytesPerRest": 1_100,  # Lambda's START/END/REPORT lines, the access line, EMF, send and queue lines
    "logBytesPerSocketFrame": 700,
    "logBytesPerConnect": 600,
    "logBytesPerFanoutJob": 700,  # the job's line and its EMF share (the invocation's own lines on top)
    "sqsRequestsPerJob": 3,  # SendMessage, then the receive and delete of its batch, a batch of one at worst
    "jobsPerFanoutInvocation": 1,  # batches fill only under load: one job an invocation at worst
    "kmsCacheMissShare": 0.1,  # of sends and history pages whose Lambda has no cached key (10-minute cache)
    "metricSeries": 26,  # MessagesSent x2, Deliveries, DeliveryLag, ConnectionAnswers x6, Throttles x13, Pushes x3
    "sqsIdlePollsPerMinute": 15,  # Lambda's five pollers, 20-second long polls, even when idle
}
SERVICES = ("lambda", "apiGateway", "sqs", "sns", "kms", "logs", "transfer")


def model(work, cpu_ms_per_post, profile=capacity.PROFILE, deployed=capacity.DEPLOYED, prices=PRICES, sizes=SIZES,
          users=capacity.USERS, alarms=None):
    """{"perMillionMessages", "perThousandUsersPerMonth", "operations", ...} in dollars."""
    operations = operation_costs(work, cpu_ms_per_post, profile, deployed, prices, sizes)
    per_user = user_month(operations, profile, prices)
    alarms = count_alarms() if alarms is None else alarms
    messages_per_user = (profile["groupSendsPerHour"] + profile["directSendsPerHour"]) * HOURS_PER_MONTH
    at = {}
    for count in users:
        tier = capacity.model(work, cpu_ms_per_post, profile, deployed, users=(count,))["at"][str(count)][
            "atlasTierForConnections"]
        fixed = fixed_month(tier, prices, sizes, alarms)
        usage = sum(per_user.values()) * count
        at[str(count)] = {"atlasTier": tier, "fixedPerMonth": _cents(sum(fixed.values())),
                          "usagePerMonth": _cents(usage), "totalPerMonth": _cents(usage + sum(fixed.values())),
                          "perThousandUsers": _cents((usage + sum(fixed.values())) / count * 1000),
                          "perMillionMessagesAllIn": _cents((usage + sum(fixed.values()))
                                                            / (messages_per_user * count) * 1e6),
                          "fixed": {name: _cents(value) for name, value in fixed.items()}}
    group, direct = sum(operations["groupMessage"].values()), sum(operations["directMessage"].values())
    group_share = profile["groupSendsPerHour"] / (profile["groupSendsPerHour"] + profile["directSendsPerHour"])
    return {
        "pricesAsOf": PRICES_AS_OF,
        "pricesSource": PRICES_SOURCE,
        "region": "us-east-1",
        "prices": prices,
        "sizes": sizes,
        "perMillionMessages": {"group": _cents(group * 1e6), "direct": _cents(direct * 1e6),
                               "blended": _cents((group_share * group + (1 - group_share) * direct) * 1e6)},
        "perUserPerMonthByService": {name: round(value, 6) for name, value in per_user.items()},
        "usagePerThousandUsersPerMonth": _cents(sum(per_user.values()) * 1000),
        "at": at,
        "operations": {name: {service: round(value * 1e6, 3) for service, value in costs.items()}
                       for name, costs in operations.items()},  # dollars per million of each
    }


def operation_costs(work, cpu_ms_per_post, profile, deployed, prices, sizes):
    """{operation: {service: dollars}} for one of each operation a connected user causes."""
    durations = capacity._durations_ms(work, cpu_ms_per_post, profile, deployed)
    connected_members = profile["groupSize"] * profile["connectedShare"]
    group_posts = connected_members * profile["connectionsPerUser"]
    direct_posts = (1 + profile["connectedShare"]) * profile["connectionsPerUser"]
    group_share = profile["groupSendsPerHour"] / (profile["groupSendsPerHour"] + profile["directSendsPerHour"])
    typing_posts = profile["connectionsPerUser"] * (
        group_share * (connected_members - 1) + (1 - group_share) * profile["connectedShare"])

    group_pushes, direct_pushes = capacity.pushes_per_message(profile)

    def job(reads, posts, frame_bytes, milliseconds=None, pushes=0.0):
        if milliseconds is None:
            milliseconds = capacity.fanout_job_ms(reads, posts, cpu_ms_per_post, deployed)
        return {"sns": pushes * prices["snsMobilePushPerPublish"],"lambda": lambda_cost("fanout", milliseconds, prices) - prices["lambdaPerRequest"]
                + prices["lambdaPerRequest"] / sizes["jobsPerFanoutInvocation"],
                "apiGateway": posts * prices["webSocketPerMessage"],
                "sqs": sizes["sqsRequestsPerJob"] * prices["sqsPerRequest"],
                "logs": _log_cost(sizes["logBytesPerFanoutJob"], prices),
                "transfer": posts * frame_bytes / 1e9 * prices["dataTransferOutPerGb"]}

    def rest(operation, function_ms, response_bytes, log_bytes):
        return {"lambda": lambda_cost("api_handler", function_ms, prices), "apiGateway": prices["restApiPerRequest"],
                "kms": _kms_calls(work[operation]) * prices["kmsPerRequest"], "logs": _log_cost(log_bytes, prices),
                "transfer": response_bytes / 1e9 * prices["dataTransferOutPerGb"]}

    kms_miss = sizes["kmsCacheMissShare"] * prices["kmsPerRequest"]
    # A message's job also pushes to its offline members' phones (the capacity model's fanoutPushJob).
    group = _plus(rest("send", durations["send"], sizes["restResponseBytes"], sizes["logBytesPerRest"]),
                  job(work["fanoutJob"]["mongo"], group_posts, sizes["messageFrameBytes"],
                      milliseconds=durations["fanoutPushJob"], pushes=group_pushes), {"kms": kms_miss})
    direct_ms = durations["send"] + (work["directSend"]["mongo"] - work["send"]["mongo"]) * deployed["atlasRoundTripMs"]
    direct = _plus(rest("directSend", direct_ms, sizes["restResponseBytes"], sizes["logBytesPerRest"]),
                   job(work["fanoutDirectJob"]["mongo"], direct_posts, sizes["messageFrameBytes"], pushes=direct_pushes,
                       milliseconds=capacity.fanout_job_ms(work["fanoutDirectPushJob"]["mongo"], direct_posts,
                                                           cpu_ms_per_post, deployed)
                       + math.ceil(direct_pushes) * deployed["snsPublishMs"]), {"kms": kms_miss})
    frame_in = {"lambda": lambda_cost("websocket_message", durations["typing"], prices),
                "apiGateway": prices["webSocketPerMessage"], "logs": _log_cost(sizes["logBytesPerSocketFrame"], prices)}
    typing = _plus(frame_in, job(work["fanoutJob"]["mongo"], typing_posts, sizes["typingFrameBytes"]))
    history = _plus(rest("historyPage", durations["historyPage"], sizes["historyPageBytes"], sizes["logBytesPerRest"]),
                    {"kms": kms_miss})
    login = rest("login", durations["login"], sizes["restResponseBytes"], sizes["logBytesPerRest"])
    refresh = rest("refresh", durations["refresh"], sizes["restResponseBytes"], sizes["logBytesPerRest"])
    # $connect and $disconnect are not billed as messages; their functions are.
    connect = {"lambda": lambda_cost("websocket_connect", durations["connect"], prices)
               + lambda_cost("websocket_disconnect", durations["disconnect"], prices),
               "logs": _log_cost(2 * sizes["logBytesPerConnect"], prices)}
    # A "stopped" is not fanned out: the frame and its handler only (priced as a typing frame's, at most).
    return {"groupMessage": group, "directMessage": direct, "typingFrame": typing, "stoppedFrame": frame_in,
            "historyPage": history,
            "login": login, "refresh": refresh, "reconnect": connect}


def user_month(operations, profile, prices):
    """{service: dollars} one connected user costs in a month (connection minutes included)."""
    per_hour = {"groupMessage": profile["groupSendsPerHour"], "directMessage": profile["directSendsPerHour"],
                "typingFrame": (profile["groupSendsPerHour"] + profile["directSendsPerHour"])
                * profile["typingEventsPerSend"],
                "stoppedFrame": (profile["groupSendsPerHour"] + profile["directSendsPerHour"])
                * (profile["typingFramesPerSend"] - profile["typingEventsPerSend"]),
                "historyPage": profile["historyPagesPerHour"], "login": profile["loginsPerHour"],
                "refresh": profile["refreshesPerHour"],
                "reconnect": profile["connectsPerHour"]}
    month = {service: 0.0 for service in SERVICES}
    for name, rate in per_hour.items():
        for service, dollars in operations[name].items():
            month[service] += rate * HOURS_PER_MONTH * dollars
    month["apiGateway"] += (profile["connectionsPerUser"] * 60 * HOURS_PER_MONTH
                            * prices["webSocketPerConnectionMinute"])
    return month


def fixed_month(tier, prices, sizes, alarms):
    """{item: dollars} a stage costs each month whatever its traffic."""
    return {
        f"atlas{tier}": prices["atlasPerHour"].get(tier, max(prices["atlasPerHour"].values())) * HOURS_PER_MONTH,
        "kmsKey": prices["kmsKeyPerMonth"],
        "alarms": alarms * prices["alarmPerMonth"],
        "dashboard": prices["dashboardPerMonth"],
        "customMetrics": sizes["metricSeries"] * prices["customMetricPerMonth"],
        "sqsIdlePolling": sizes["sqsIdlePollsPerMinute"] * 60 * HOURS_PER_MONTH * prices["sqsPerRequest"],
    }


def lambda_cost(function, milliseconds, prices=PRICES):
    """One invocation of `function` (its memory in capacity.MEMORY_MB) lasting `milliseconds`."""
    gigabyte_seconds = milliseconds / 1000 * capacity.MEMORY_MB[function] / 1024
    return prices["lambdaPerRequest"] + gigabyte_seconds * prices["lambdaPerGbSecond"]


def count_alarms(stack_path=None):
    """The CloudWatch alarms infra/stack.yaml defines."""
    stack_path = stack_path or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "infra",
                                            "stack.yaml")
    with open(stack_path, encoding="utf-8") as stack:
        return len(re.findall(r"^\s+Type: AWS::CloudWatch::Alarm\s*$", stack.read(), re.M))


def render(run):
    """The summary's section for this model."""
    r = run["results"]
    per_million = r["perMillionMessages"]
    users = list(r["at"])
    lines = [
        "## Cost model",
        "",
        f"List prices, {r['region']}, as of {r['pricesAsOf']} (`bench/cost.py`; docs/benchmarks.md states "
        "every price and assumption). Free tiers left out.",
        "",
        f"Per million messages, each with its fan-out: group ${per_million['group']:,.2f}, direct "
        f"${per_million['direct']:,.2f}, blended by the profile ${per_million['blended']:,.2f}.",
        "",
        "| Connected users | " + " | ".join(f"{int(count):,}" for count in users) + " |",
        "| --- |" + " ---: |" * len(users),
    ]
    rows = [("Usage per month", "usagePerMonth"), ("Fixed per month", "fixedPerMonth"),
            ("Total per month", "totalPerMonth"), ("Per thousand connected users per month", "perThousandUsers"),
            ("Per million messages, all in", "perMillionMessagesAllIn")]
    for label, key in rows:
        lines.append(f"| {label} | " + " | ".join(f"${r['at'][count][key]:,.2f}" for count in users) + " |")
    lines.append("| Atlas tier (for connections) | " + " | ".join(r["at"][count]["atlasTier"] for count in users)
                 + " |")
    by_service = r["perUserPerMonthByService"]
    total = sum(by_service.values())
    lines += ["", "A connected user's month by service: " + ", ".join(
        f"{name} {value / total:.0%}" for name, value in sorted(by_service.items(), key=lambda item: -item[1])) + "."]
    return "\n".join(lines)


def _kms_calls(counted):
    return sum(count for name, count in counted.get("awsCalls", {}).items() if name.startswith("KMS."))


def _log_cost(log_bytes, prices):
    return log_bytes / 1e9 * (prices["logsPerGbIngested"] + prices["logsPerGbMonthStored"])


def _plus(*costs):
    total = {}
    for cost in costs:
        for service, dollars in cost.items():
            total[service] = total.get(service, 0.0) + dollars
    return total


def _cents(dollars):
    return round(dollars, 2)
