"""The stage's SNS platform applications for mobile push (docs/push.md).

CloudFormation has no resource for them, so `python -m infra push-apps <stage>` makes them
here from the credentials the operator stored in SSM Parameter Store as SecureStrings under
/secure-messaging/<stage>/push/ (never in the repository), and records each application's
ARN in a plain String parameter beside them. `make deploy` reads those ARNs and hands them
to the stack as parameters; the stack outputs them to the app's configuration and policies.

    /secure-messaging/<stage>/push/apns-signing-key   SecureString  the .p8 key (token-based auth)
    /secure-messaging/<stage>/push/apns-key-id        SecureString  its 10-character key id
    /secure-messaging/<stage>/push/apns-team-id       SecureString  the Apple developer team id
    /secure-messaging/<stage>/push/apns-bundle-id     SecureString  the iOS app's bundle id
    /secure-messaging/<stage>/push/fcm-service-account SecureString the Firebase service account JSON
    /secure-messaging/<stage>/push/apns-application-arn, fcm-application-arn   String (written here)
"""
from infra import DeployError

PLATFORMS = {"apns": ("APNS", "APNS_SANDBOX"), "fcm": ("GCM",)}


def prefix(stage):
    return f"/secure-messaging/{stage}/push/"


def application_name(stage, platform):
    return f"secure-messaging-{stage}-{platform}"


def create_applications(sns, ssm, stage, sandbox=False, log=print):
    """Create or update the platforms whose credentials are stored; {"apns": arn, "fcm": arn}."""
    made = {}
    apns = _secrets(ssm, stage, ("apns-signing-key", "apns-key-id", "apns-team-id", "apns-bundle-id"))
    if apns:
        platform = "APNS_SANDBOX" if sandbox else "APNS"
        made["apns"] = _ensure(sns, application_name(stage, "apns"), platform, {
            "PlatformCredential": apns["apns-signing-key"], "PlatformPrincipal": apns["apns-key-id"],
            "ApplePlatformTeamID": apns["apns-team-id"], "ApplePlatformBundleID": apns["apns-bundle-id"]})
    fcm = _secrets(ssm, stage, ("fcm-service-account",))
    if fcm:
        made["fcm"] = _ensure(sns, application_name(stage, "fcm"), "GCM",
                              {"PlatformCredential": fcm["fcm-service-account"]})
    if not made:
        raise DeployError(f"No push credentials under {prefix(stage)} (docs/push.md says which to store).")
    for platform, arn in made.items():
        ssm.put_parameter(Name=f"{prefix(stage)}{platform}-application-arn", Type="String", Value=arn,
                          Overwrite=True, Description=f"secure-messaging: the SNS platform application for {platform}")
        log(f"{platform}: {arn}")
    return made


def application_arns(ssm, stage):
    """The ARNs `create_applications` recorded for the stage ({} before it ever ran)."""
    found = {}
    for platform in PLATFORMS:
        name = f"{prefix(stage)}{platform}-application-arn"
        listed = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
        if listed:
            found[platform] = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    return found


def _secrets(ssm, stage, names):
    """{name: value} if every one of `names` is stored (as a SecureString), else {}."""
    values = {}
    for name in names:
        full = f"{prefix(stage)}{name}"
        listed = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [full]}])["Parameters"]
        if not listed:
            return {}
        if listed[0]["Type"] != "SecureString":
            raise DeployError(f"{full} must be a SecureString parameter; delete it and store it again.")
        values[name] = ssm.get_parameter(Name=full, WithDecryption=True)["Parameter"]["Value"]
    return values


def _ensure(sns, name, platform, attributes):
    """The application `name` with these credentials: updated if it exists, else created."""
    for page in sns.get_paginator("list_platform_applications").paginate():
        for application in page.get("PlatformApplications", []):
            arn = application["PlatformApplicationArn"]
            if arn.rsplit("/", 1)[-1] == name and arn.split("/")[-2] == platform:
                sns.set_platform_application_attributes(PlatformApplicationArn=arn, Attributes=attributes)
                return arn
    return sns.create_platform_application(Name=name, Platform=platform, Attributes=attributes)[
        "PlatformApplicationArn"]
