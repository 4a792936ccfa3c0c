"""The playground's HTTP server: the page's files and a small JSON API, on 127.0.0.1 only.

Built on the standard library's ``http.server`` (``ThreadingHTTPServer``, one thread per
request) rather than a web framework: the API is five POST routes and a few static
files, so Starlette and uvicorn would add two dependencies and an event loop for nothing,
and zennet's core keeps NumPy as its only dependency.

The page drives training: it asks for a slice of training (``/api/train``, about a tenth
of a second of steps), draws the answer and asks again. No thread trains on its own, so
training stops the moment the tab goes away; a session no page has asked about for
``timeout`` seconds is dropped, freeing its model. Each tab has its own session, and a
lock per session keeps two requests of one tab from training it at once.

API (JSON in, JSON out; an error is ``{"error": message}`` with status 400 or 404):

    GET  /api/options                     the choices, their help and the defaults
    POST /api/session  {settings}         a new session: {id, config, points, state}
    POST /api/train    {id, seconds}      train for about `seconds`: {state}
    POST /api/step     {id, layer}        exactly one step: {view, state}
    POST /api/close    {id}               drop the session (the page's pagehide beacon)
"""

import json
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from zennet.jobs.playground.config import choices, parse_config
from zennet.jobs.playground.session import Session

SESSION_TIMEOUT = 30.0  # seconds without a request before a session is dropped
MAX_SLICE = 1.0  # the longest training slice one request may ask for, seconds
MAX_BODY = 1 << 16
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/playground.js": ("playground.js", "text/javascript; charset=utf-8"),
    "/playground.css": ("playground.css", "text/css; charset=utf-8"),
}


class NotFound(Exception):
    """A route or session that does not exist (HTTP 404)."""


class Sessions:
    """The live sessions by id, each with its lock and the time of its last request."""

    def __init__(self, timeout=SESSION_TIMEOUT):
        self.timeout = timeout
        self._sessions, self._lock = {}, threading.Lock()

    def create(self, config):
        session = Session(config)
        session.lock, session.seen = threading.Lock(), time.monotonic()
        session_id = uuid.uuid4().hex
        with self._lock:
            self._sessions[session_id] = session
        return session_id, session

    def get(self, session_id):
        self.expire()
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise NotFound(
                f"no session {session_id!r}: it was closed or idle for more than "
                f"{self.timeout:g} s; press Reset to start a new one."
            )
        session.seen = time.monotonic()
        return session

    def close(self, session_id):
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def expire(self):
        """Drop the sessions no page has asked about for ``timeout`` seconds."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k, s in self._sessions.items() if now - s.seen > self.timeout]:
                del self._sessions[key]

    def __len__(self):
        with self._lock:
            return len(self._sessions)


def _create(sessions, body):
    config = parse_config(body.get("settings", body))
    session_id, session = sessions.create(config)
    return {"id": session_id, "config": config.to_dict(), "points": session.points(),
            "state": session.state()}  # fmt: skip


def _train(sessions, body):
    seconds = body.get("seconds", 0.1)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError(f"seconds must be a number ≥ 0; got {seconds!r}.")
    session = sessions.get(body.get("id"))
    with session.lock:
        session.train(min(float(seconds), MAX_SLICE))
        return {"state": session.state()}


def _step(sessions, body):
    session = sessions.get(body.get("id"))
    with session.lock:
        view = session.step(body.get("layer", 1))
        return {"view": view, "state": session.state()}


def _close(sessions, body):
    return {"closed": sessions.close(body.get("id"))}


ROUTES = {"/api/session": _create, "/api/train": _train, "/api/step": _step, "/api/close": _close}


class Handler(BaseHTTPRequestHandler):
    """Serves the static files and the JSON API of ``self.server.sessions``."""

    server_version = "zennet-playground"

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/api/options":
            return self._json(HTTPStatus.OK, choices())
        if path not in STATIC:
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {path!r}"})
        name, kind = STATIC[path]
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        self._send(HTTPStatus.OK, body, kind)

    def do_POST(self):
        route = ROUTES.get(self.path)
        try:
            if route is None:
                raise NotFound(f"no API route {self.path!r}; the routes: {', '.join(ROUTES)}")
            answer = route(self.server.sessions, self._body())
        except NotFound as error:
            return self._json(HTTPStatus.NOT_FOUND, {"error": str(error)})
        except (ValueError, TypeError) as error:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
        self._json(HTTPStatus.OK, answer)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError(f"request body of {length} bytes; at most {MAX_BODY}.")
        raw = self.rfile.read(length) if length else b"{}"
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as error:
            raise ValueError(f"the request is not JSON: {error}") from None
        if not isinstance(body, dict):
            raise ValueError("the request must be a JSON object.")
        return body

    def _json(self, status, value):
        self._send(status, json.dumps(value).encode(), "application/json")

    def _send(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


def make_server(port=8000, host="127.0.0.1", timeout=SESSION_TIMEOUT, verbose=False):
    """The server, bound but not yet serving (``port=0``: a free port, see
    ``server.server_address``); run it with ``serve_forever()``."""
    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as error:
        raise OSError(
            f"cannot serve on {host}:{port} ({error.strerror or error}); choose another port "
            f"with --port N (0 takes any free one)."
        ) from None
    server.daemon_threads = True
    server.sessions, server.verbose = Sessions(timeout), verbose
    return server
