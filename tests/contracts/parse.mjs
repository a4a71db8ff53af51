// Parse an AsyncAPI document with the reference parser (@asyncapi/parser) and print its
// diagnostics as JSON: {"errors": [...], "warnings": [...], "channels": n, "messages": n}.
// Exit status 1 when the parser reports an error. Used by tests/edge/test_asyncapi.py.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const text = readFileSync(process.argv[2], "utf8");
const { document, diagnostics } = await new Parser().parse(text);
const show = (d) => ({ code: d.code, message: d.message, path: d.path.join("/") });
const errors = diagnostics.filter((d) => d.severity === 0).map(show);
const warnings = diagnostics.filter((d) => d.severity === 1).map(show);
const summary = { errors, warnings, parsed: Boolean(document) };
if (document) {
  summary.channels = document.channels().length;
  summary.messages = document.allMessages().length;
  summary.operations = document.operations().length;
}
console.log(JSON.stringify(summary));
process.exit(errors.length || !document ? 1 : 0);
