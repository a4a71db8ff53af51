"""A capacity model: what a deployment needs at 10k, 100k and 1M connected users, from the
measured work per operation (bench/work.py) and an explicit usage profile.

Everything scales linearly with users, so each quota also gets the number of connected
users at which it binds. The usage profile and the deployed latencies below are
assumptions, not measurements: change them here and rerun `python -m bench --only capacity`.
"""
import math

USERS = (10_000, 100_000, 1_000_000)

# What one connected user does in an hour (assumed; see docs/benchmarks.md).
PROFILE = {
    "groupSendsPerHour": 4,
    "directSendsPerHour": 2,
    "historyPagesPerHour": 6,
    "typingFramesPerSend": 2,  # started and stopped typing, before each message (frames in)
    "typingEventsPerSend": 1,  # of those, fanned out: "typing" only (a "stopped" is not, issue 21)
    "connectsPerHour": 1,  # reconnects (API Gateway also ends every connection within 2 h)
    "loginsPerHour": 1 / 24,  # a session lasts weeks (REFRESH_TOKEN_DAYS); say one login a day
    "refreshesPerHour": 4,  # access tokens live 15 minutes (ACCESS_TOKEN_MINUTES)
    "groupSize": 20,
    "connectedShare": 0.5,  # of a group's members, connected when a message goes out
    "connectionsPerUser": 1.2,  # devices connected at once
    "phonesPerUser": 1.0,  # devices registered for mobile push (POST /devices)
    "mutedShare": 0.1,  # of a conversation's offline members, those who muted it
    # A burst alerts once: a phone gets at most one push per conversation per 60 s window
    # (chalicelib/realtime/notifications.py BURST_SECONDS; mentions always push). Chat comes in
    # exchanges, so a window that has one of a conversation's messages usually has more: say 3
    # (a message and two quick answers). With no clustering at all (Poisson arrivals) a group of
    # 20 sending 40 messages an hour would have 1.4, and a 1:1 chat at 2 an hour barely 1.
    "messagesPerPushWindow": 3,
    # Typing: the client says "typing" at most every 4 s and "stopped" once; the API coalesces
    # to one "typing" per user and conversation every 3 s (limits.WS_TYPING_PER_CONVERSATION)
    # and fans out no "stopped", so a client sending more (many tabs, a loop) costs no more posts.
    # Presence: asked once when a chat opens (a frame and its answer), then pushed on change
    # (a user's first device connects, their last one disconnects) to the connections that
    # follow a conversation of theirs. Before, the web client asked every 30 s while a chat was open.
    "chatOpensPerHour": 6,
    "presenceChangesPerHour": 2,  # online and offline, once per connection cycle
    "presenceFollowersPerChange": 2,  # connections with a chat of that user open
    # Attachments: uploads go straight to S3 (a presigned POST), but asking for the upload and
    # each download link is a REST request.
    "attachmentsPerHour": 0.5,
    "attachmentViewsShare": 0.5,  # of the connected members, who open it (GET /attachments/{id})
}

# Deployed latencies and CPU (assumed; Lambda gives 1 vCPU at 1,769 MB, proportionally less below).
DEPLOYED = {
    "atlasRoundTripMs": 1.5,  # same region
    "awsCallMs": 8,  # SQS SendMessage, KMS
    "postMs": 15,  # one @connections POST
    "pushWorkers": 32,  # chalicelib/realtime/fanout.py PUSH_WORKERS
    "snsWorkers": 16,  # chalicelib/realtime/notifications.py PUSH_WORKERS
    "snsPublishMs": 20,  # one SNS Publish to a platform endpoint
    "bcryptMs": 350,  # cost 12 at 1 vCPU (docs/deploy.md)
    "handlerCpuMs": 3,  # parsing, validation, JSON, crypto of one request at 1 vCPU
    "warmEnvironmentsPerConcurrency": 2,  # warm, idle environments kept beyond the average busy ones
    "mongoConnectionsPerEnvironment": 3,  # on the primary: the app's pooled one, plus pymongo's monitor and RTT ones
}
MEMORY_MB = {"api_handler": 1769, "websocket_connect": 512, "websocket_message": 512,
             "websocket_disconnect": 256, "fanout": 512}

# AWS and Atlas quotas (defaults; most can be raised).
QUOTAS = {
    "apiGatewayRequestsPerSecond": 10_000,  # account, Region: REST + WebSocket + @connections together
    "webSocketNewConnectionsPerSecond": 500,  # account, Region
    "lambdaConcurrency": 1_000,  # account, Region (new accounts may start lower)
    "sqsEventSourceConcurrency": 1_000,  # batches one SQS event source mapping processes at once
    "kmsSymmetricRequestsPerSecond": 5_500,  # the lowest Regional default; up to 100,000 in the largest Regions
    "snsPublishPerSecond": 1_500,  # the lowest Regional default (30,000 in us-east-1; 9,000 in a few others)
}
# Per node; production starts at M10 (docs/deploy.md), so M0 and Flex (500) are left out.
ATLAS_CONNECTIONS_PER_NODE = {"M10": 1_500, "M20": 3_000, "M30": 3_000, "M40": 6_000,
                              "M50": 16_000, "M60": 32_000}


def model(work, cpu_ms_per_post, profile=PROFILE, deployed=DEPLOYED, users=USERS):
    """{"perUser": rates per connected user, "at": {users: needs}, "bindsAt": [...], ...}."""
    per_user = _rates_per_user(work, profile)
    durations = _durations_ms(work, cpu_ms_per_post, profile, deployed)
    at = {str(count): _needs(per_user, durations, count, deployed) for count in users}
    return {
        "profile": profile,
        "deployed": deployed,
        "quotas": QUOTAS,
        "cpuMsPerPostMeasured": cpu_ms_per_post,
        "perUserPerSecond": {name: round(value, 6) for name, value in per_user.items()},
        "durationsMs": {name: round(value, 1) for name, value in durations.items()},
        "at": at,
        "bindsAt": _binds_at(per_user, durations, deployed),
    }


def _rates_per_user(work, profile):
    """Operations per second that one connected user causes."""
    hour = 3600
    group_sends = profile["groupSendsPerHour"] / hour
    direct_sends = profile["directSendsPerHour"] / hour
    typing = (group_sends + direct_sends) * profile["typingFramesPerSend"]  # frames in
    typing_events = (group_sends + direct_sends) * profile.get("typingEventsPerSend", profile["typingFramesPerSend"])
    connected_members = profile["groupSize"] * profile["connectedShare"]
    group_posts = connected_members * profile["connectionsPerUser"]  # the sender's devices too
    direct_posts = (1 + profile["connectedShare"]) * profile["connectionsPerUser"]
    group_pushes, direct_pushes = pushes_per_message(profile)
    typing_share_group = group_sends / (group_sends + direct_sends)
    typing_posts = profile["connectionsPerUser"] * (
        typing_share_group * (connected_members - 1) + (1 - typing_share_group) * profile["connectedShare"])
    presence_frames = profile["chatOpensPerHour"] / hour
    presence_posts = (presence_frames  # each frame's answer
                      + profile["presenceChangesPerHour"] / hour * profile["presenceFollowersPerChange"])
    attachments = profile["attachmentsPerHour"] / hour
    attachment_requests = attachments * (1 + connected_members * profile["attachmentViewsShare"])
    rates = {
        "restRequests": (group_sends + direct_sends + profile["historyPagesPerHour"] / hour
                         + profile["loginsPerHour"] / hour + profile["refreshesPerHour"] / hour
                         + attachment_requests),
        "webSocketFrames": typing + presence_frames,
        "presencePosts": presence_posts,
        "attachmentRequests": attachment_requests,
        "connects": profile["connectsPerHour"] / hour,
        "logins": profile["loginsPerHour"] / hour,
        "refreshes": profile["refreshesPerHour"] / hour,
        "sends": group_sends + direct_sends,
        "historyPages": profile["historyPagesPerHour"] / hour,
        "fanoutJobs": group_sends + direct_sends + typing_events + profile["presenceChangesPerHour"] / hour,
        "posts": (group_sends * group_posts + direct_sends * direct_posts + typing_events * typing_posts
                  + presence_posts),
        "typingPosts": typing_events * typing_posts,
        # Mobile push: one SNS Publish per phone of each recipient no socket reached.
        "snsPublishes": group_sends * group_pushes + direct_sends * direct_pushes,
    }
    push_reads = work["fanoutPushJob"]["mongo"] - work["fanoutJob"]["mongo"]  # per job with a push, flat
    direct_push_reads = work["fanoutDirectPushJob"]["mongo"] - work["fanoutDirectJob"]["mongo"]
    rates["mongoCommands"] = (
        group_sends * (work["send"]["mongo"] + work["fanoutJob"]["mongo"] + push_reads)
        + direct_sends * (work["directSend"]["mongo"] + work["fanoutDirectJob"]["mongo"]
                          + min(1.0, direct_pushes) * direct_push_reads)
        + rates["historyPages"] * work["historyPage"]["mongo"]
        + typing_events * (work["typing"]["mongo"] + work["fanoutJob"]["mongo"])
        + (typing - typing_events) * 2  # a "stopped": its connection's record, and the limiter's reset
        + rates["connects"] * (work["connect"]["mongo"] + work["disconnect"]["mongo"])
        + rates["logins"] * work["login"]["mongo"]
        + rates["refreshes"] * work["refresh"]["mongo"]
        # Not measured by bench/work.py (estimates): a presence frame is a typing frame's
        # checks plus the members, who is online and the follow; a presence change, the
        # consumer's three reads; an attachment request, three commands.
        + presence_frames * (work["typing"]["mongo"] + 3)
        + profile["presenceChangesPerHour"] / hour * 3
        + attachment_requests * 3
    )
    rates["sqsMessages"] = rates["fanoutJobs"]
    # KMS: at most one Decrypt per request that touches a key (every key-cache miss), at
    # least one per conversation a Lambda touches per cache age (10 minutes).
    rates["kmsUpperBound"] = rates["sends"] + rates["historyPages"]
    rates["apiGatewayRequests"] = (rates["restRequests"] + rates["webSocketFrames"] + rates["connects"] * 2
                                   + rates["posts"])
    return rates


def _durations_ms(work, cpu_ms_per_post, profile, deployed):
    """Deployed time per invocation of each kind, from the counted round trips."""
    def io(operation):
        counts = work[operation]
        posts = counts["awsCalls"].get("ApiGatewayManagementApi.PostToConnection", 0)
        return (counts["mongo"] * deployed["atlasRoundTripMs"] + (counts["aws"] - posts) * deployed["awsCallMs"]
                + posts * deployed["postMs"])

    def cpu(function, milliseconds_at_one_vcpu):
        return milliseconds_at_one_vcpu * 1769 / MEMORY_MB[function]

    posts_per_job = profile["groupSize"] * profile["connectedShare"] * profile["connectionsPerUser"]
    fanout_reads = work["fanoutJob"]["mongo"] * deployed["atlasRoundTripMs"]
    fanout_push = math.ceil(posts_per_job / deployed["pushWorkers"]) * deployed["postMs"]
    fanout_cpu = cpu("fanout", posts_per_job * cpu_ms_per_post)
    # A group message's pushes: the notifier's flat reads, then its publishes on its own pool.
    pushes_per_job = pushes_per_message(profile)[0]
    push_reads = (work["fanoutPushJob"]["mongo"] - work["fanoutJob"]["mongo"]) * deployed["atlasRoundTripMs"]
    push_publish = math.ceil(pushes_per_job / deployed["snsWorkers"]) * deployed["snsPublishMs"]
    return {
        "send": io("send") + cpu("api_handler", deployed["handlerCpuMs"]),
        "historyPage": io("historyPage") + cpu("api_handler", deployed["handlerCpuMs"]),
        "login": io("login") + cpu("api_handler", deployed["bcryptMs"]),
        "refresh": io("refresh") + cpu("api_handler", deployed["handlerCpuMs"]),
        "typing": io("typing") + cpu("websocket_message", deployed["handlerCpuMs"]),
        "connect": io("connect") + cpu("websocket_connect", deployed["handlerCpuMs"]),
        "disconnect": io("disconnect") + cpu("websocket_disconnect", deployed["handlerCpuMs"]),
        # A job's pushes overlap on the pool, but its CPU does not (one process, the GIL).
        "fanoutJob": fanout_reads + max(fanout_push, fanout_cpu),
        "fanoutPushJob": fanout_reads + max(fanout_push, fanout_cpu) + push_reads + push_publish,
    }


def pushes_per_message(profile=PROFILE):
    """(group, 1:1) SNS publishes per message on average: one per offline, unmuted phone of the
    audience (never the sender's), for the first message of each push window only."""
    offline = (1 - profile["connectedShare"]) * (1 - profile["mutedShare"]) * profile["phonesPerUser"]
    per_window = profile.get("messagesPerPushWindow", 1)
    return (profile["groupSize"] - 1) * offline / per_window, offline / per_window


def fanout_job_ms(reads, posts, cpu_ms_per_post, deployed=DEPLOYED):
    """Deployed time of any fan-out job (the cost model's direct and typing jobs too), as
    _durations_ms times a group's: its reads, then its posts overlapped on the pool, or
    their CPU if longer."""
    pushing = math.ceil(posts / deployed["pushWorkers"]) * deployed["postMs"]
    cpu = posts * cpu_ms_per_post * 1769 / MEMORY_MB["fanout"]
    return reads * deployed["atlasRoundTripMs"] + max(pushing, cpu)


def _concurrency(per_user, durations, users):
    """Average busy Lambda environments per function at `users` connected users."""
    rate = {name: value * users for name, value in per_user.items()}
    return {
        "api_handler": (rate["sends"] * durations["send"] + rate["historyPages"] * durations["historyPage"]
                        + rate["logins"] * durations["login"] + rate["refreshes"] * durations["refresh"]
                        + rate["attachmentRequests"] * durations["historyPage"]) / 1000,
        "websocket_message": rate["webSocketFrames"] * durations["typing"] / 1000,
        "websocket_connect": rate["connects"] * durations["connect"] / 1000,
        "websocket_disconnect": rate["connects"] * durations["disconnect"] / 1000,
        # Message jobs also push (durations["fanoutPushJob"]); typing jobs never do.
        "fanout": (rate["sends"] * durations["fanoutPushJob"]
                   + (rate["fanoutJobs"] - rate["sends"]) * durations["fanoutJob"]) / 1000,
    }


def _needs(per_user, durations, users, deployed):
    rate = {name: value * users for name, value in per_user.items()}
    concurrency = _concurrency(per_user, durations, users)
    total = sum(concurrency.values())
    warm = sum(math.ceil(value * deployed["warmEnvironmentsPerConcurrency"]) for value in concurrency.values())
    connections = warm * deployed["mongoConnectionsPerEnvironment"]
    fitting = [name for name, limit in ATLAS_CONNECTIONS_PER_NODE.items() if connections <= limit * 0.8]
    tier = fitting[0] if fitting else "beyond M60"
    return {
        "apiGatewayRequestsPerSecond": round(rate["apiGatewayRequests"]),
        "connectionsPostsPerSecond": round(rate["posts"]),
        "presencePostsPerSecond": round(rate["presencePosts"]),
        "attachmentRequestsPerSecond": round(rate["attachmentRequests"]),
        "webSocketNewConnectionsPerSecond": round(rate["connects"], 1),
        "reconnectEveryoneMinutes": round(users / QUOTAS["webSocketNewConnectionsPerSecond"] / 60, 1),
        "lambdaConcurrency": {**{name: round(value, 1) for name, value in concurrency.items()},
                              "total": round(total, 1)},
        "warmEnvironments": warm,
        "atlasConnectionsOnPrimary": connections,
        "atlasTierForConnections": tier,
        "mongoCommandsPerSecond": round(rate["mongoCommands"]),
        "sqsMessagesPerSecond": round(rate["sqsMessages"]),
        "kmsRequestsPerSecondAtMost": round(rate["kmsUpperBound"]),
        "snsPublishesPerSecond": round(rate["snsPublishes"]),
    }


def _binds_at(per_user, durations, deployed):
    """[{quota, users}]: the connected users at which each quota is reached, soonest first."""
    concurrency = _concurrency(per_user, durations, 1)
    connections_per_user = sum(concurrency.values()) * deployed["warmEnvironmentsPerConcurrency"] \
        * deployed["mongoConnectionsPerEnvironment"]
    limits = [
        ("API Gateway requests per second (10,000: REST, WebSocket and @connections together)",
         QUOTAS["apiGatewayRequestsPerSecond"] / per_user["apiGatewayRequests"]),
        ("WebSocket new connections per second (500), steady reconnects only",
         QUOTAS["webSocketNewConnectionsPerSecond"] / per_user["connects"]),
        ("Lambda concurrency (1,000 per Region)", QUOTAS["lambdaConcurrency"] / sum(concurrency.values())),
        ("SQS event source concurrency (1,000 batches)", QUOTAS["sqsEventSourceConcurrency"] / concurrency["fanout"]),
        ("KMS symmetric requests per second (5,500), if every request missed the key cache",
         QUOTAS["kmsSymmetricRequestsPerSecond"] / per_user["kmsUpperBound"]),
        ("SNS Publish per second (1,500, the lowest Regional default; 30,000 in us-east-1), for mobile push",
         QUOTAS["snsPublishPerSecond"] / per_user["snsPublishes"]),
        ("Atlas M10 connections (1,500 per node)", ATLAS_CONNECTIONS_PER_NODE["M10"] / connections_per_user),
        ("Atlas M60 connections (32,000 per node)", ATLAS_CONNECTIONS_PER_NODE["M60"] / connections_per_user),
    ]
    return [{"quota": name, "users": int(users)} for name, users in sorted(limits, key=lambda item: item[1])]
