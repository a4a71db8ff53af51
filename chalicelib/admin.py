"""The operator's command line: `python -m chalicelib.admin rotate <conversationId>`.

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
    args = parser.parse_args(argv)
    version = services.keyring().rotate(args.conversation_id)
    print(f"{args.conversation_id}: new messages now use key version {version}")


if __name__ == "__main__":
    main()
