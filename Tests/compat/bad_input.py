"""Bad input on every entry point: clear errors, the server stays up, other clients are unaffected.
Run as: python bad_input.py URL ADMIN_KEY   (against converge serve with examples/chat)"""
import http.client
import os
import sys
import urllib.parse

from raw_ws import Closed, connect

url, admin_key = sys.argv[1], sys.argv[2]
parsed = urllib.parse.urlparse(url)
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def post(path, body, headers=None):
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    return response.status, response.read().decode()


# A well-behaved socket client, watching a query the whole time.
good = connect(url)
good.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1,
           "modifications": [{"type": "Add", "queryId": 0, "udfPath": "messages:list", "args": [{}]}]})
good.recv_until(lambda m: m["type"] == "Transition")

# HTTP: request-level errors are non-2xx with a code and a message.
for body, headers, status, code in [
    (b"not json", {}, 400, "BadJsonBody"),
    (b'{"path": "no such/../path!!"}', {}, 400, "BadConvexFunctionIdentifier"),
    (b'{"path": "messages:list", "format": "xml"}', {}, 400, "BadFormat"),
    (b'{"path": "messages:list"}', {"Authorization": "Convex carnitas|00"}, 401, "BadAdminKey"),
    (b'{"path": "messages:list"}', {"Authorization": "Basic eA=="}, 400, "InvalidAdminKey"),
    (b'{"path": "messages:list"}', {"Authorization": "Bearer not.a.jwt"}, 401, "Unauthenticated"),
    (b'{"path": "messages:list"}', {"Authorization": "Bearer " + "x" * 5000}, 401, "Unauthenticated"),
    (b'{"path": "messages:list", "args": "' + b"x" * (17 << 20) + b'"}', {}, 413, "PayloadTooLarge"),
]:
    got_status, text = post("/api/query", body, headers)
    check(got_status == status and f'"code":"{code}"' in text, f"{body[:40]!r}: expected {status} {code}, got {got_status} {text[:200]}")

# An unknown function is a function error: 200 with status "error".
got_status, text = post("/api/query", b'{"path": "messages:nope"}')
check(got_status == 200 and '"status":"error"' in text and "Could not find public function" in text, f"unknown function: {got_status} {text[:200]}")

# Sockets: malformed JSON, an unknown message type, a wrong base version: FatalError, then close.
for raw in [b"garbage", b'{"type":"Nope"}', b'{"type":"ModifyQuerySet","baseVersion":7,"newVersion":8,"modifications":[]}']:
    bad = connect(url)
    bad.send_frame(0x1, raw)
    seen = []
    try:
        while True:
            seen.append(bad.recv(timeout=5))
    except Closed:
        check(any(m.get("type") == "FatalError" for m in seen), f"{raw!r}: no FatalError before the close: {seen}")
    except Exception as error:
        check(False, f"{raw!r}: the socket did not close: {error!r} after {seen}")

# A user token that is not a JWT on the socket: AuthError, then close.
bad = connect(url)
bad.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": "garbage"})
seen = []
try:
    while True:
        seen.append(bad.recv(timeout=5))
except Closed:
    check([m.get("type") for m in seen if m.get("type") != "Ping"] == ["AuthError"], f"bad user token: {seen}")
except Exception as error:
    check(False, f"bad user token: the socket did not close: {error!r} after {seen}")

# HTTP actions on the site URL: an oversized body and a request for no route.
site = urllib.parse.urlparse(os.environ["CONVERGE_SITE_URL"])
connection = http.client.HTTPConnection(site.hostname, site.port, timeout=30)
connection.request("POST", "/echo/big", body=b"x" * (21 << 20))
response = connection.getresponse()
text = response.read().decode()
check(response.status == 413 and "PayloadTooLarge" in text, f"oversized HTTP action body: {response.status} {text[:200]}")
connection = http.client.HTTPConnection(site.hostname, site.port, timeout=30)
connection.request("PATCH", "/%00%ff/../x?y=%zz", body=b"{")
response = connection.getresponse()
check(response.status == 404, f"a request for no route: {response.status}")

# The good client is unaffected: its query still updates after a mutation from HTTP.
got_status, text = post("/api/mutation", b'{"path": "messages:send", "args": {"body": "still here"}}')
check(got_status == 200 and '"status":"success"' in text, f"mutation after bad input: {got_status} {text[:200]}")
update = good.recv_until(lambda m: m["type"] == "Transition" and any(mod.get("type") == "QueryUpdated" for mod in m["modifications"]))
check("still here" in str(update[-1]), f"the good client saw the update: {update[-1]}")

if failures:
    print("FAILED:", failures)
    sys.exit(1)
print("bad input: all checks passed")
