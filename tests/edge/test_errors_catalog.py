"""The error catalog is complete and current: every code the code can raise (read with `ast`
from chalicelib: `raise SomeError("...", "code")`, the kinds' own default codes, and the schemas'
`x-error-codes`) is in chalicelib/edge/errors_catalog.py with the status it comes with, every
catalog code is raised somewhere (or is a framework's own), and docs/errors.md is its rendering."""
import ast
import pathlib

import pytest

from chalicelib.core import errors
from chalicelib.edge import errors_catalog
from chalicelib.edge.web import STATUS_OF

ROOT = pathlib.Path(__file__).resolve().parents[2]
KINDS = {name: kind for name, kind in vars(errors).items()
         if isinstance(kind, type) and issubclass(kind, errors.DomainError)}
# Codes that no `raise` in chalicelib names: Chalice's own refusals (app.py turns their names into
# codes), the local gateway's and API Gateway's (infra/after_chalice.py), and the 500 of a bug.
FRAMEWORK = {"method_not_allowed": 405, "unsupported_media_type": 415, "not_found": 404, "too_large": 413,
             "request_rejected": 400, "internal_error": 500, "error": 500}


def _status(kind):
    return next((STATUS_OF[one] for one in kind.__mro__ if one in STATUS_OF), 500)


def _raised():
    """{code: {status, ...}} for every code chalicelib can answer with."""
    found = {}
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in KINDS:
                    found.setdefault(_code_of(node, name), set()).add(_status(KINDS[name]))
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "x-error-codes" and isinstance(value, ast.Dict):
                        for code in value.values:
                            found.setdefault(code.value, set()).add(400)
    for kind in KINDS.values():
        found.setdefault(kind.code, set()).add(_status(kind))
    return found


def _code_of(call, kind_name):
    position = 2 if kind_name == "RateLimited" else 1
    for keyword in call.keywords:
        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    if len(call.args) > position and isinstance(call.args[position], ast.Constant):
        return call.args[position].value
    return KINDS[kind_name].code


RAISED = _raised()


@pytest.mark.parametrize("code", sorted(RAISED))
def test_every_code_the_code_raises_is_in_the_catalog_with_its_status(code):
    assert code in errors_catalog.CATALOG or code == "error", f"add {code!r} to chalicelib/edge/errors_catalog.py"
    if code != "error":
        assert RAISED[code] <= set(errors_catalog.statuses_of(code)), (code, RAISED[code])


def test_every_catalog_code_is_raised_somewhere_or_is_a_frameworks_own():
    unused = set(errors_catalog.CATALOG) - set(RAISED) - set(FRAMEWORK)
    assert not unused, f"the catalog names codes nothing answers with: {sorted(unused)}"


def test_each_code_has_a_meaning_and_a_documented_status():
    for code, (_, meaning) in errors_catalog.CATALOG.items():
        assert meaning.endswith((".", ")")) and code.islower()
        assert all(status in errors_catalog.STATUSES or status == 500 for status in errors_catalog.statuses_of(code))


def test_docs_errors_md_is_the_catalog_rendered():
    page = (ROOT / "docs" / "errors.md").read_text()
    assert page == errors_catalog.render_markdown(), "run `python -m docs.render_errors` (make docs)"
