#!/usr/bin/env python3
"""A loopback HTTP server for the tests: serves ROOT on 127.0.0.1 and prints its port.

Paths can ask for misbehaviour:
  /flaky/N/FILE    answers 503 to the first N requests of this path, then serves FILE
  /status/CODE/X   always answers CODE
  /slow/FILE       serves FILE in small pieces with pauses
  /cut/N/FILE      sends the first N requests of this path half of FILE, then closes the connection
  /wait/S/FILE     waits S seconds, then serves FILE
  /elsewhere/X     redirects (307) to http://localhost:PORT/X, this server under another host name
  PUT /endless/X   takes the body, then answers 200 with a body that never ends
  /log             the requests so far, as JSON ([{"path": ..., "proxied": bool, "token": bool}],
                   token: whether it carried an x-amz-security-token header)
  /peak            the most requests that were being answered at once, as JSON
HEAD answers as GET does, without the body.
A PUT stores its body at its path under ROOT when it carries `Authorization: Bearer TOKEN` with
the token in ROOT/.put-token (logged as {"path": "PUT /path", ...}); otherwise it is refused.
A request with an absolute URI (as sent to a proxy) is served from ROOT by its path and logged
as proxied, so the server doubles as an HTTP proxy for any host name. A CONNECT (an https URL
through the proxy) is logged as {"path": "CONNECT host:port", "proxied": true} and refused.
"""
import json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ROOT = sys.argv[1]
lock = threading.Lock()
log, counts = [], {}
active = peak = 0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        global active, peak
        proxied = self.path.startswith("http://")
        path = urlsplit(self.path).path
        if path == "/log":
            return self.send(200, json.dumps(log).encode())
        if path == "/peak":
            return self.send(200, json.dumps(peak).encode())
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            self.answer(path, proxied)
        finally:
            with lock:
                active -= 1

    def do_HEAD(self):
        self.do_GET()

    def do_PUT(self):
        path = urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            log.append({"path": "PUT " + path, "proxied": False})
        if path.startswith("/endless/"):
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                return
        token_file = os.path.join(ROOT, ".put-token")
        token = open(token_file).read().strip() if os.path.isfile(token_file) else None
        if token is None or self.headers.get("Authorization") != "Bearer " + token:
            return self.send(401, b"not allowed")
        parts = path.strip("/").split("/")
        if not path.strip("/") or any(part in ("", ".", "..") for part in parts):
            return self.send(400, b"bad path")
        file = os.path.join(ROOT, *parts)
        os.makedirs(os.path.dirname(file), exist_ok=True)
        with open(file, "wb") as f:
            f.write(body)
        self.send(201, b"")

    def do_CONNECT(self):
        with lock:
            log.append({"path": "CONNECT " + self.path, "proxied": True})
        self.send(403, b"no tunnels here")

    def answer(self, path, proxied):
        with lock:
            log.append({"path": path, "proxied": proxied, "token": "x-amz-security-token" in self.headers})
            counts[path] = counts.get(path, 0) + 1
            count = counts[path]
        parts = path.strip("/").split("/")
        slow = cut = False
        if parts[0] == "flaky":
            if count <= int(parts[1]):
                return self.send(503, b"try again")
            parts = parts[2:]
        elif parts[0] == "status":
            return self.send(int(parts[1]), b"as asked")
        elif parts[0] == "elsewhere":
            # The same server under another host name, as a redirect to another host is.
            self.send_response(307)
            self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/" + "/".join(parts[1:]))
            self.send_header("Content-Length", "0")
            return self.end_headers()
        elif parts[0] == "slow":
            slow, parts = True, parts[1:]
        elif parts[0] == "cut":
            cut, parts = count <= int(parts[1]), parts[2:]
        elif parts[0] == "wait":
            time.sleep(float(parts[1]))
            parts = parts[2:]
        file = os.path.join(ROOT, *parts)
        if not os.path.isfile(file):
            return self.send(404, b"not found")
        with open(file, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if cut:
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        step = 4096 if slow else len(data) or 1
        for i in range(0, len(data), step):
            self.wfile.write(data[i : i + step])
            if slow:
                time.sleep(0.01)

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
