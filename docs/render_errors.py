"""Write docs/errors.md from the error catalog: `python -m docs.render_errors` (or `make docs`)."""
import pathlib

from chalicelib.edge.errors_catalog import render_markdown

PAGE = pathlib.Path(__file__).with_name("errors.md")

if __name__ == "__main__":
    PAGE.write_text(render_markdown())
    print(f"wrote {PAGE}")
