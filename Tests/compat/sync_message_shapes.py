"""Sync protocol message shapes against the fixture app Tests/ClusterTests/Fixtures/sync: version chaining,
identity versions, errorData only for a ConvexError, a Transition covering every MutationResponse, FatalError
then close on a base version mismatch, AuthError without FatalError, a client ahead of the server still served.
Run as: python sync_message_shapes.py URL ADMIN_KEY"""
import base64
import struct
import sys

from raw_ws import WS, Closed, Tracker, connect, ts

url, admin_key = sys.argv[1], sys.argv[2]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def drain(ws, timeout=5):
    out = []
    try:
        while True:
            out.append(ws.recv(timeout))
    except (Closed, TimeoutError, OSError) as error:
        return out, error


# Chaining, identity versions, errorData only for ConvexError, a Transition after every MutationResponse.
ws = connect(url, path="/api/1.45.0/sync")
tracker = Tracker()
ws.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": admin_key})
# Every Transition is fed to the tracker: the server may send more than the test waits for.
def recv_tracked(predicate):
    messages = ws.recv_until(predicate)
    for message in messages:
        tracker.feed(message)
    return messages[-1]


first = recv_tracked(lambda m: m["type"] == "Transition")
check(first["endVersion"]["identity"] == 1, f"identity after the first Authenticate: {first}")
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": 0, "udfPath": "items:queryConvexFail", "args": [{}]},
    {"type": "Add", "queryId": 1, "udfPath": "items:nope", "args": [{}]},
    {"type": "Add", "queryId": 2, "udfPath": "items.js:count", "args": [{}]}]})
added = recv_tracked(lambda m: m["type"] == "Transition")
mods = {m["queryId"]: m for m in added["modifications"]}
check(set(mods) == {0, 1, 2}, f"every added query answered: {added}")
check(mods.get(0, {}).get("errorData") == {"why": 1.0}, f"ConvexError query carries errorData: {mods.get(0)}")
check("errorData" not in mods.get(1, {"errorData": 0}), f"a plain query failure has no errorData key: {mods.get(1)}")
check(mods.get(2, {}).get("type") == "QueryUpdated", f"canonical udfPath items.js:count: {mods.get(2)}")
for r, (path, args) in enumerate([("items:add", {"tag": "s", "n": 1}), ("items:fail", {}), ("items:convexFail", {})]):
    ws.send({"type": "Mutation", "requestId": r, "udfPath": path, "args": [args]})
    response = recv_tracked(lambda m: m["type"] == "MutationResponse")
    transition = recv_tracked(lambda m: m["type"] == "Transition")
    check(("errorData" in response) == (path == "items:convexFail"), f"errorData only for ConvexError: {response}")
    check(isinstance(response["result"], str) or response["success"], f"failure result is a string: {response}")
    if response["ts"] is not None:
        check(ts(transition["endVersion"]["ts"]) >= ts(response["ts"]), f"Transition covers mutation {r}")
ws.send({"type": "Authenticate", "baseVersion": 1, "tokenType": "None"})
second = recv_tracked(lambda m: m["type"] == "Transition")
check(second["endVersion"]["identity"] == 2, f"identity after the second Authenticate: {second}")
check(not tracker.errors, f"chaining: {tracker.errors}")

# A base version mismatch: FatalError, then the socket closes.
ws = connect(url)
ws.send({"type": "ModifyQuerySet", "baseVersion": 5, "newVersion": 6, "modifications": []})
messages, end = drain(ws)
check([m["type"] for m in messages] == ["FatalError"] and isinstance(end, Closed), f"base mismatch: {messages} {end!r}")

# A bad admin key: AuthError, then close, and no FatalError (the JS client terminate()s for good on FatalError).
ws = connect(url)
ws.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "Admin", "value": "carnitas|00"})
messages, end = drain(ws)
types = [m["type"] for m in messages]
check(types == ["AuthError"], f"bad admin key should give only AuthError then close, got {types}")

# A client that has seen a timestamp far ahead of ours (another deployment, a clock gone back) is
# still served: the real server fails such a session for ever (spec 1.2); ours must not wedge it.
ws = WS(url)
ahead = base64.b64encode(struct.pack("<Q", 2**62)).decode()  # the year 2116; at most i64::MAX is valid
ws.send({"type": "Connect", "sessionId": "00000000-0000-4000-8000-000000000001", "connectionCount": 3,
         "lastCloseReason": "InternalServerError", "maxObservedTimestamp": ahead, "clientTs": 0})
ws.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": 0, "udfPath": "items:count", "args": [{}]}]})
answered = ws.recv_until(lambda m: m["type"] == "Transition")[-1]
check([m["queryId"] for m in answered["modifications"]] == [0], f"a client ahead of us still gets results: {answered}")
ws.close()

if failures:
    print("FAILED:\n" + "\n".join(failures))
    sys.exit(1)
print("sync shapes: all checks passed")
