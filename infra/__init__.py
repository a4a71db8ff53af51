"""The deploy path: the stage's CloudFormation stack, its two secrets, the Chalice project
rendered with the stack's outputs, `chalice deploy` (or `chalice package`), and the settings
Chalice leaves undone. `python -m infra --help` lists the steps; `make deploy STAGE=prod`
runs them in order. docs/deploy.md is the guide."""


class DeployError(Exception):
    """A step cannot go on; the message says what to do about it."""
