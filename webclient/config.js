// Where the web client finds the API. This file is the one place to change it.
//
// Left empty, the client talks to the local stack (`make run`): REST on the origin that
// serves this page (http://127.0.0.1:8000) and WebSocket on port 8001 of the same host.
// If you start the stack with another WS_PORT, set wsBase to match.
//
// For a deployed stage, set both to the stage's URLs, for example:
//   apiBase: "https://abc123.execute-api.eu-west-1.amazonaws.com/api",
//   wsBase:  "wss://def456.execute-api.eu-west-1.amazonaws.com/api",
// and allow the origin that serves this page on the REST API (CORS_ALLOW_ORIGIN in the
// stage's environment; see docs/webclient.md).
export default {
  apiBase: "",
  wsBase: "",
};
