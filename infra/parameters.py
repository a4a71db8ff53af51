"""The stage's two secrets as SecureString parameters, encrypted under the stage's KMS key.

CloudFormation cannot create SecureString parameters, so the stack only names them
(outputs JwtSecretParameterName, MongoUriParameterName) and this step fills them in: the
JWT secret is generated here once and never shown; the MongoDB URI is the operator's.
"""
import re
import secrets

from infra import DeployError

JWT_SECRET_BYTES = 48  # 64 URL-safe characters; the app refuses fewer than 32 bytes
_MONGO_URI = re.compile(r"^mongodb(\+srv)?://\S+$")


def ensure_parameters(ssm, outputs, log=print):
    """Create the JWT secret if the stage has none; check the MongoDB URI is stored safely."""
    jwt_name = outputs["JwtSecretParameterName"]
    jwt = _describe(ssm, jwt_name)
    if jwt is None:
        ssm.put_parameter(
            Name=jwt_name,
            Description="secure-messaging: the key that signs access tokens",
            Type="SecureString",
            KeyId=outputs["KmsKeyArn"],
            Value=secrets.token_urlsafe(JWT_SECRET_BYTES),
            Overwrite=False,
        )
        log(f"Created {jwt_name} (a new random secret).")
    else:
        _require_secure(jwt)
        log(f"{jwt_name} is set.")
    mongo_name = outputs["MongoUriParameterName"]
    mongo = _describe(ssm, mongo_name)
    if mongo is None:
        raise DeployError(
            f"{mongo_name} is not set. Store the Atlas connection string first (docs/deploy.md, "
            f"'MongoDB Atlas'): make mongo-uri STAGE={outputs['Stage']}"
        )
    _require_secure(mongo)
    log(f"{mongo_name} is set.")


def put_mongo_uri(ssm, outputs, uri):
    """Store (or replace) the stage's MongoDB connection string."""
    uri = uri.strip()
    if not _MONGO_URI.match(uri):
        raise DeployError("A MongoDB URI starts with mongodb+srv:// or mongodb:// and has no spaces.")
    ssm.put_parameter(
        Name=outputs["MongoUriParameterName"],
        Description="secure-messaging: MongoDB connection string",
        Type="SecureString",
        KeyId=outputs["KmsKeyArn"],
        Value=uri,
        Overwrite=True,
    )


def delete_parameters(ssm, outputs, log=print):
    """Remove both parameters (teardown)."""
    for name in (outputs["JwtSecretParameterName"], outputs["MongoUriParameterName"]):
        if _describe(ssm, name) is not None:
            ssm.delete_parameter(Name=name)
            log(f"Deleted {name}.")


def _describe(ssm, name):
    """The parameter's metadata (never its value), or None."""
    found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    return found[0] if found else None


def _require_secure(parameter):
    if parameter["Type"] != "SecureString":
        raise DeployError(f"{parameter['Name']} must be a SecureString parameter; delete it and store it again.")
