"""The cost model's arithmetic (bench/cost.py): each figure checked against one worked by hand,
with every price but the one under test set to zero."""
import json
import os

import pytest

from bench import capacity, cost
from bench.report import write

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOURS = cost.HOURS_PER_MONTH


def _work():
    """The last measured work, and the budget's counts for operations measured since."""
    with open(os.path.join(ROOT, "bench", "results", "work.json"), encoding="utf-8") as measured:
        work = json.load(measured)["results"]["operations"]
    with open(os.path.join(ROOT, "bench", "budget.json"), encoding="utf-8") as budget:
        for name, counts in json.load(budget)["operations"].items():
            work.setdefault(name, {**counts, "awsCalls": {}})
    return work


def _only(**prices):
    """PRICES with every price zero but those given."""
    zero = {name: ({tier: 0.0 for tier in value} if isinstance(value, dict) else 0.0)
            for name, value in cost.PRICES.items()}
    return {**zero, **prices}


def test_a_lambda_invocation_is_its_request_plus_its_gigabyte_seconds():
    prices = _only(lambdaPerRequest=0.2e-6, lambdaPerGbSecond=0.0000166667)
    # 1,769 MB for 1 s: 1,769 / 1,024 GB-s.
    assert cost.lambda_cost("api_handler", 1000, prices) == pytest.approx(0.2e-6 + 1769 / 1024 * 0.0000166667)


def test_a_message_costs_one_websocket_message_per_connected_device_of_its_audience():
    prices = _only(webSocketPerMessage=1e-6)
    figures = cost.model(_work(), 1.5, prices=prices, alarms=0)
    profile = capacity.PROFILE
    group_posts = profile["groupSize"] * profile["connectedShare"] * profile["connectionsPerUser"]  # 12
    direct_posts = (1 + profile["connectedShare"]) * profile["connectionsPerUser"]  # 1.8
    assert figures["perMillionMessages"]["group"] == pytest.approx(group_posts)
    assert figures["perMillionMessages"]["direct"] == pytest.approx(direct_posts)
    assert figures["perMillionMessages"]["blended"] == pytest.approx((4 * group_posts + 2 * direct_posts) / 6, abs=0.01)


def test_a_connected_users_month_pays_connection_minutes_for_each_device():
    prices = _only(webSocketPerConnectionMinute=0.25e-6)
    figures = cost.model(_work(), 1.5, prices=prices, alarms=0)
    per_user = 1.2 * 60 * HOURS * 0.25e-6  # 52,560 connection-minutes
    assert figures["perUserPerMonthByService"]["apiGateway"] == pytest.approx(per_user, rel=1e-4)
    assert figures["usagePerThousandUsersPerMonth"] == pytest.approx(per_user * 1000, abs=0.01)


def test_rest_requests_of_a_month_follow_the_profile():
    prices = _only(restApiPerRequest=3.5e-6)
    figures = cost.model(_work(), 1.5, prices=prices, alarms=0)
    profile = capacity.PROFILE
    requests = (profile["groupSendsPerHour"] + profile["directSendsPerHour"] + profile["historyPagesPerHour"]
                + profile["loginsPerHour"] + profile["refreshesPerHour"]) * HOURS
    assert figures["perUserPerMonthByService"]["apiGateway"] == pytest.approx(requests * 3.5e-6, abs=1e-6)


def test_sqs_is_priced_per_request_of_each_job():
    prices = _only(sqsPerRequest=0.4e-6)
    sizes = {**cost.SIZES, "sqsRequestsPerJob": 3}
    figures = cost.model(_work(), 1.5, prices=prices, sizes=sizes, alarms=0)
    jobs = (4 + 2 + (4 + 2) * 1) * HOURS  # a job per message and per fanned-out typing frame ("stopped" has none)
    assert figures["perUserPerMonthByService"]["sqs"] == pytest.approx(jobs * 3 * 0.4e-6)
    assert figures["perMillionMessages"]["group"] == pytest.approx(1.2)


def test_a_message_pushes_to_each_offline_unmuted_phone_of_its_audience():
    prices = _only(snsMobilePushPerPublish=0.5e-6)
    figures = cost.model(_work(), 1.5, prices=prices, alarms=0)
    profile = capacity.PROFILE
    offline = (1 - profile["connectedShare"]) * (1 - profile["mutedShare"]) * profile["phonesPerUser"]  # 0.45
    offline /= profile["messagesPerPushWindow"]  # a burst alerts a phone once
    assert figures["perMillionMessages"]["group"] == pytest.approx((profile["groupSize"] - 1) * offline * 0.5, abs=0.01)
    assert figures["perMillionMessages"]["direct"] == pytest.approx(offline * 0.5, abs=0.01)


def test_fixed_costs_are_spread_over_the_users_and_follow_the_atlas_tier():
    prices = _only(atlasPerHour={"M10": 0.08, "M40": 1.04}, alarmPerMonth=0.10)
    figures = cost.model(_work(), 1.5, prices=prices, users=(10_000, 1_000_000), alarms=10)
    small, large = figures["at"]["10000"], figures["at"]["1000000"]
    assert (small["atlasTier"], large["atlasTier"]) == ("M10", "M40")
    assert small["fixedPerMonth"] == pytest.approx(0.08 * 730 + 1.0)  # 58.40 + ten alarms
    assert small["perThousandUsers"] == pytest.approx(small["fixedPerMonth"] / 10, abs=0.01)
    assert large["fixedPerMonth"] == pytest.approx(1.04 * 730 + 1.0)
    assert small["usagePerMonth"] == 0


def test_the_totals_add_up_at_list_prices():
    figures = cost.model(_work(), 1.5)
    by_service = figures["perUserPerMonthByService"]
    assert set(by_service) == set(cost.SERVICES) and all(value > 0 for value in by_service.values())
    for count, at in figures["at"].items():
        assert at["totalPerMonth"] == pytest.approx(at["usagePerMonth"] + at["fixedPerMonth"], abs=0.02)
        assert at["perThousandUsers"] == pytest.approx(at["totalPerMonth"] / int(count) * 1000, abs=0.01)
        assert at["fixedPerMonth"] == pytest.approx(sum(at["fixed"].values()), abs=0.02)
    assert figures["pricesAsOf"] and figures["region"] == "us-east-1"


def test_the_alarms_are_counted_from_the_stack():
    assert cost.count_alarms() == open(os.path.join(ROOT, "infra", "stack.yaml")).read().count(
        "Type: AWS::CloudWatch::Alarm")


def test_the_summary_shows_the_cost_model(tmp_path):
    figures = cost.model(_work(), 1.5)
    (tmp_path / "cost.json").write_text(json.dumps({"profile": "full", "results": figures}))
    summary = open(write(str(tmp_path)), encoding="utf-8").read()
    assert "## Cost model" in summary and "Per thousand connected users per month" in summary
    assert "Cost at list prices" in summary  # the headline row
