"""`python -m devstack` (what `make run` calls): the whole stack in the foreground."""
import sys

from devstack.processes import PortTaken
from devstack.stack import main

if __name__ == "__main__":
    try:
        main()
    except PortTaken as exc:
        print(f"make run: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        pass
