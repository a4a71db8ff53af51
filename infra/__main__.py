"""python -m infra <command> <stage>: the deploy path (docs/deploy.md)."""
import argparse
import getpass
import sys

from infra import DeployError

STAGES = ("prod", "staging")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m infra", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="stack, secrets, chalice deploy, after-deploy settings")
    deploy.add_argument("stage", choices=STAGES)
    deploy.add_argument("--alarm-email", default="", help="address subscribed to the alarms")
    deploy.add_argument("--mail-from", default="", help="verified SES address password-reset emails come from")
    package = commands.add_parser("package", help="a CloudFormation (SAM) template + zip from the deployed stack's outputs")
    package.add_argument("stage", choices=STAGES)
    package.add_argument("out_dir")
    mongo = commands.add_parser("mongo-uri", help="store the MongoDB connection string (asked for, not echoed)")
    mongo.add_argument("stage", choices=STAGES)
    push_apps = commands.add_parser("push-apps", help="SNS platform applications from the push credentials in SSM")
    push_apps.add_argument("stage", choices=STAGES)
    push_apps.add_argument("--sandbox", action="store_true", help="APNs sandbox (development builds)")
    destroy = commands.add_parser("destroy", help="delete the stage (the KMS key and state bucket are kept)")
    destroy.add_argument("stage", choices=STAGES)
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)

    import boto3

    from infra.deploy import Deployer

    try:
        deployer = Deployer(boto3.session.Session())
        if args.command == "deploy":
            for name, url in deployer.deploy(args.stage, args.alarm_email, args.mail_from).items():
                print(f"{name:10} {url}")
        elif args.command == "package":
            print(deployer.package(args.stage, args.out_dir))
        elif args.command == "mongo-uri":
            deployer.put_mongo_uri(args.stage, getpass.getpass("MongoDB connection string: "))
        elif args.command == "push-apps":
            deployer.push_apps(args.stage, args.sandbox)
        elif args.command == "destroy":
            if not args.yes and input(f"Type {args.stage} to delete it: ").strip() != args.stage:
                print("Nothing deleted.")
                return 1
            deployer.destroy(args.stage)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
