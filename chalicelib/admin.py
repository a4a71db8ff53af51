"""The operator's command line, run with the stage's environment (docs/operations.md):

    python -m chalicelib.admin rotate <conversationId>          new messages use a new key version
    python -m chalicelib.admin export <conversationId> <file>   wrapped keys + sealed messages
    python -m chalicelib.admin import <file>                    write an export into this stage
    python -m chalicelib.admin backfill-search-keys             make older accounts findable (docs/accounts.md)

It sits beside the composition root, above every feature, because it needs them wired.
"""
import argparse
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
    args = parser.parse_args(argv)
    {"rotate": _rotate, "export": _export, "import": _import,
     "backfill-search-keys": _backfill_search_keys}[args.command](args)


def _rotate(args):
    from chalicelib import services

    version = services.keyring().rotate(args.conversation_id)
    print(f"{args.conversation_id}: new messages now use key version {version}")


def _backfill_search_keys(_args):
    from chalicelib import services

    print(f"{services.users().backfill_search_keys()} accounts updated")


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
    main()
