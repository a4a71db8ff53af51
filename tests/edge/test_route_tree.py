"""API Gateway builds a resource tree from the route paths and refuses two sibling variable
parts ("/messages/{groupId}" beside "/messages/{conversationId}/..."): the deploy would fail
although every local test passes. One variable name per segment, checked here."""


def test_sibling_path_variables_share_one_name():
    from app import app

    names = {}  # parent path -> the variable name used beneath it
    clashes = []
    for path in app.routes:
        parts = path.strip("/").split("/")
        for depth, part in enumerate(parts):
            if not part.startswith("{"):
                continue
            parent = "/" + "/".join(parts[:depth])
            first = names.setdefault(parent, part)
            if first != part:
                clashes.append(f"{parent}: {first} and {part} ({path})")
    assert clashes == []
