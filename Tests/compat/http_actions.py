"""HTTP actions of examples/chat/convex/http.ts on the site URL of `converge serve`.

Run as: CONVERGE_SITE_URL=... python http_actions.py URL ADMIN_KEY  (exits non-zero on the first failed check)
"""
import json
import os
import sys
import urllib.error
import urllib.request

from convex.http_client import ConvexHttpClient

url, admin_key, site = sys.argv[1], sys.argv[2], os.environ["CONVERGE_SITE_URL"]


def call(method, path, body=None, headers=None):
    request = urllib.request.Request(site + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


status, headers, body = call("POST", "/messages", json.dumps({"body": "over http"}).encode(), {"Content-Type": "application/json"})
assert status == 201, (status, body)
assert json.loads(body) == {"ok": True, "count": 1}, body
assert headers["content-type"] == "application/json", headers

status, _, body = call("GET", "/messages")
assert status == 200 and json.loads(body) == [{"body": "over http", "author": "anonymous"}], (status, body)
assert ConvexHttpClient(url).query("messages:list") == [{"body": "over http", "author": "anonymous"}], "the mutation really ran"

payload = bytes(range(256)) * 10
status, headers, body = call("POST", "/echo/some/path?q=ok", payload, {"Content-Type": "application/x-test"})
assert status == 200 and body == payload, (status, len(body))
assert headers["x-path"] == "/echo/some/path" and headers["x-query"] == "ok" and headers["x-user"] == "anonymous", headers
assert headers["content-type"] == "application/x-test", headers

status, _, body = call("GET", "/fail")
assert status == 500 and b"this route always fails" in body, (status, body)

status, _, body = call("GET", "/nowhere")
assert status == 404 and b"No matching routes found" in body, (status, body)
status, _, _ = call("DELETE", "/messages")
assert status == 404, "a route matches its method too"

print("http actions: all checks passed")
