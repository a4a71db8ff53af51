"""The operator's command line, run with the stage's environment (docs/operations.md):

    python -m chalicelib.admin rotate <conversationId>          new messages use a new key version
    python -m chalicelib.admin export <conversationId> <file>   wrapped keys + sealed messages
    python -m chalicelib.admin import <file>                    write an export into this stage
    python -m chalicelib.admin backfill-search-keys             make older accounts findable (docs/accounts.md)
    python -m chalicelib.admin rotate-jwt-key [--force]         new access tokens use a new signing key

It sits beside the composition root, above every feature, because it needs them wired.
"""
import argparse
import os
import sys


def main(argv=None):
    """Parse the command and run it."""
    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser("rotate", help="start a new key version for a conversation")
    rotate.add_argument("conversation_id")
    export = commands.add_parser("export", help="write one conversation's stored documents to a file")
    export.add_argument("conversation_id")
    export.add_argument("file", help="where to write it ('-' for standard output)")
    restore = commands.add_parser("import", help="write an exported conversation into this stage's database")
    restore.add_argument("file", help="an export ('-' for standard input)")
    commands.add_parser("backfill-search-keys", help="make accounts from before people search findable")
    jwt_key = commands.add_parser("rotate-jwt-key", help="sign new access tokens with a new key; the current one "
                                  "keeps verifying (make rotate-jwt-key STAGE=...)")
    jwt_key.add_argument("--parameter", default=os.environ.get("JWT_SECRET_PARAMETER"),
                         help="the stage's SSM parameter (default: JWT_SECRET_PARAMETER)")
    jwt_key.add_argument("--token-lifetime-seconds", type=int, default=int(os.environ.get("TOKEN_TTL_SECONDS") or 3600),
                         help="the stage's longest access-token lifetime (default: TOKEN_TTL_SECONDS or 3600)")
    jwt_key.add_argument("--force", action="store_true",
                         help="rotate even if tokens signed with the key it drops may still be live (signs them out)")
    args = parser.parse_args(argv)
    return {"rotate": _rotate, "export": _export, "import": _import,
            "backfill-search-keys": _backfill_search_keys, "rotate-jwt-key": _rotate_jwt_key}[args.command](args)


def _rotate(args):
    from chalicelib import services

    version = services.keyring().rotate(args.conversation_id)
    print(f"{args.conversation_id}: new messages now use key version {version}")


def _backfill_search_keys(_args):
    from chalicelib import services

    print(f"{services.users().backfill_search_keys()} accounts updated")


def _rotate_jwt_key(args):
    from chalicelib.core.aws import client
    from chalicelib.core.signing_keys import KEY_CACHE_SECONDS, RotationTooSoon, rotate_parameter

    if not args.parameter:
        print("Name the parameter: --parameter /secure-messaging/<stage>/jwt-secret (or JWT_SECRET_PARAMETER).",
              file=sys.stderr)
        return 2
    min_age = args.token_lifetime_seconds + KEY_CACHE_SECONDS
    try:
        kid = rotate_parameter(client("ssm"), args.parameter, min_age_seconds=min_age, force=args.force)
    except RotationTooSoon as too_soon:
        print(f"Not rotated: the current key became current less than {min_age} s ago (token lifetime plus "
              f"{KEY_CACHE_SECONDS} s), so tokens signed with the key a rotation drops may still be live. Try again "
              f"in {too_soon.wait_seconds:.0f} s, or pass --force to sign those out.", file=sys.stderr)
        return 2
    except (LookupError, ValueError) as refused:
        print(f"Not rotated: {refused}", file=sys.stderr)
        return 2
    print(f"{args.parameter}: new access tokens are signed with key {kid} within {KEY_CACHE_SECONDS} s; "
          f"the previous key keeps verifying until the next rotation.")
    return 0


def _export(args):
    from chalicelib import services
    from chalicelib.messaging.archive import ConversationArchive, dumps

    text = dumps(ConversationArchive(services.current().db).export(args.conversation_id))
    if args.file == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.file, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    print(f"{args.conversation_id}: exported to {args.file}", file=sys.stderr)


def _import(args):
    from chalicelib import services
    from chalicelib.messaging.archive import ConversationArchive, loads

    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8") as source:
            text = source.read()
    written = ConversationArchive(services.current().db).restore(loads(text))
    summary = ", ".join(f"{count} {name}" for name, count in written.items())
    print(f"imported: {summary}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
