"""A playground server on a free port, in a thread: for the API and browser tests."""

import contextlib
import json
import threading
import urllib.error
import urllib.request

from zennet.jobs.playground.server import make_server


@contextlib.contextmanager
def running_server(timeout=30.0):
    """Yield the server (``server.url`` its address) and stop it afterwards."""
    server = make_server(port=0, timeout=timeout)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def call(server, path, body=None):
    """(status, JSON answer) of a GET (no body) or POST to the server."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
