"""Mobile push through SNS: one platform endpoint per device token, on the stage's APNs and
FCM platform applications, and a publish per notification in each platform's own format.

A notification is platform-neutral ({title, body, badge, data, collapseKey}); this module
alone knows how APNs and FCM (its HTTP v1 format, which SNS accepts under `fcmV1Message`)
spell it, and that SNS takes the APNs collapse id as a message attribute.
"""
import json

PLATFORMS = ("apns", "fcm")
# infra/stack.yaml names this placeholder application when a stage has none for a platform.
NOT_CONFIGURED = "-push-not-configured"


class EndpointDisabled(Exception):
    """SNS disabled the endpoint (APNs or FCM said the token is dead: the app is gone)."""


class PushThrottled(Exception):
    """SNS asked us to slow down; worth retrying shortly."""


class PushNotConfigured(Exception):
    """The stage has no platform application for this platform."""


class MobilePush:
    """A Pusher of mobile notifications (chalicelib.core.ports.MobilePusher) over SNS."""

    def __init__(self, sns, applications):
        self._sns = sns
        self._applications = {platform: arn for platform, arn in applications.items()
                              if arn and not arn.endswith(NOT_CONFIGURED)}

    @classmethod
    def from_env(cls):
        from chalicelib.core.aws import client
        from chalicelib.core.config import settings

        config = settings()
        return cls(client("sns"), {"apns": config.push_apns_application_arn, "fcm": config.push_fcm_application_arn})

    def create_endpoint(self, platform, token, user_data=""):
        """The ARN of the platform endpoint for `token` (enabled, created if need be)."""
        from botocore.exceptions import ClientError

        application = self._applications.get(platform)
        if application is None:
            raise PushNotConfigured(platform)
        try:
            return self._sns.create_platform_endpoint(
                PlatformApplicationArn=application, Token=token, CustomUserData=user_data)["EndpointArn"]
        except ClientError as failure:
            # SNS keeps one endpoint per token: created earlier with other attributes (another
            # account's user data, or disabled), it answers with that endpoint's ARN in words.
            existing = _existing_endpoint(failure)
            if existing is None:
                raise
        self._sns.set_endpoint_attributes(EndpointArn=existing, Attributes={
            "Token": token, "CustomUserData": user_data, "Enabled": "true"})
        return existing

    def ensure_enabled(self, endpoint_arn, token):
        """True if the endpoint exists (re-enabled if SNS had disabled it: the app registered
        its token again, so it works again); False if it is gone."""
        from botocore.exceptions import ClientError

        try:
            attributes = self._sns.get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"]
        except ClientError as failure:
            if _code(failure) in ("NotFound", "NotFoundException"):
                return False
            raise
        if str(attributes.get("Enabled", "true")).lower() != "true" or attributes.get("Token") != token:
            self._sns.set_endpoint_attributes(EndpointArn=endpoint_arn, Attributes={"Token": token, "Enabled": "true"})
        return True

    def set_user_data(self, endpoint_arn, user_data):
        self._sns.set_endpoint_attributes(EndpointArn=endpoint_arn, Attributes={"CustomUserData": user_data})

    def delete_endpoint(self, endpoint_arn):
        """Remove an endpoint (deleting one that is gone is not an error, as in SNS)."""
        from botocore.exceptions import ClientError

        try:
            self._sns.delete_endpoint(EndpointArn=endpoint_arn)
        except ClientError as failure:
            if _code(failure) not in ("NotFound", "NotFoundException"):
                raise

    def publish(self, platform, endpoint_arn, notification):
        """Send one notification to one endpoint; EndpointDisabled or PushThrottled when it cannot."""
        from botocore.exceptions import ClientError

        message, attributes = _message(platform, notification)
        try:
            return self._sns.publish(TargetArn=endpoint_arn, MessageStructure="json", Message=message,
                                     MessageAttributes=attributes)["MessageId"]
        except ClientError as failure:
            code = _code(failure)
            status = failure.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("EndpointDisabled", "EndpointDisabledException", "NotFound", "NotFoundException"):
                raise EndpointDisabled(endpoint_arn) from None
            if code in ("Throttling", "ThrottlingException", "Throttled", "ThrottledException",
                        "TooManyRequestsException") or status == 429:
                raise PushThrottled(endpoint_arn) from None
            raise

    def reachable(self):
        """Raise if SNS does not answer (for operators' checks)."""
        for arn in self._applications.values():
            self._sns.get_platform_application_attributes(PlatformApplicationArn=arn)


def _message(platform, notification):
    """SNS's MessageStructure=json body and message attributes for one platform."""
    title, body, badge = notification["title"], notification["body"], notification["badge"]
    data, collapse = notification["data"], notification["collapseKey"]
    if platform == "apns":
        aps = {"alert": {"title": title, "body": body}, "badge": badge, "sound": "default", "thread-id": collapse}
        apns = json.dumps({"aps": aps, **data}, separators=(",", ":"))
        message = {"default": body, "APNS": apns, "APNS_SANDBOX": apns}
        attributes = {
            "AWS.SNS.MOBILE.APNS.COLLAPSE_ID": {"DataType": "String", "StringValue": collapse},
            "AWS.SNS.MOBILE.APNS.PUSH_TYPE": {"DataType": "String", "StringValue": "alert"},
            "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "10"},
        }
        return json.dumps(message, separators=(",", ":")), attributes
    if platform == "fcm":
        fcm = {"fcmV1Message": {"message": {
            "notification": {"title": title, "body": body},
            "data": {key: str(value) for key, value in data.items()},  # FCM data values are strings
            "android": {"collapse_key": collapse, "priority": "high",
                        "notification": {"tag": collapse, "notification_count": badge}},
        }}}
        message = {"default": body, "GCM": json.dumps(fcm, separators=(",", ":"))}
        return json.dumps(message, separators=(",", ":")), {}
    raise ValueError(f"unknown platform {platform!r}")


def read_message(platform, message):
    """The notification an SNS message body carries ({title, body, badge, data}): the inverse
    of what publish sends, for the local outbox and tests."""
    structure = json.loads(message)
    if platform == "apns":
        payload = json.loads(structure.get("APNS") or structure["APNS_SANDBOX"])
        aps = payload.pop("aps")
        return {"title": aps["alert"]["title"], "body": aps["alert"]["body"], "badge": aps.get("badge"),
                "data": payload, "collapseKey": aps.get("thread-id")}
    fcm = json.loads(structure["GCM"])["fcmV1Message"]["message"]
    data = dict(fcm.get("data", {}))
    if "seq" in data:
        data["seq"] = int(data["seq"])
    android = fcm.get("android", {})
    return {"title": fcm["notification"]["title"], "body": fcm["notification"]["body"],
            "badge": android.get("notification", {}).get("notification_count"), "data": data,
            "collapseKey": android.get("collapse_key")}


def _code(failure):
    return failure.response.get("Error", {}).get("Code", "")


def _existing_endpoint(failure):
    """The endpoint ARN in SNS's 'Endpoint <arn> already exists with the same Token' answer."""
    import re

    if _code(failure) != "InvalidParameter":
        return None
    found = re.search(r"Endpoint (arn:[^ ]+) already exists", failure.response.get("Error", {}).get("Message", ""))
    return found.group(1) if found else None
