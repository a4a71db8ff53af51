"""The operator's command line: `python -m chalicelib.admin rotate <conversationId>`, and
`python -m chalicelib.admin backfill-search-keys` (accounts made before people search).

Run with the stage's environment (docs/messaging.md). It sits beside the composition root,
above every feature, because it needs a wired keyring.
"""
import argparse


def main(argv=None):
    """Parse the command and run it."""
    from chalicelib import services

    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    rotate = commands.add_parser("rotate", help="start a new key version for a conversation")
    rotate.add_argument("conversation_id")
    commands.add_parser("backfill-search-keys", help="make accounts from before people search findable")
    args = parser.parse_args(argv)
    if args.command == "backfill-search-keys":
        print(f"{services.users().backfill_search_keys()} accounts updated")
        return
    version = services.keyring().rotate(args.conversation_id)
    print(f"{args.conversation_id}: new messages now use key version {version}")


if __name__ == "__main__":
    main()
