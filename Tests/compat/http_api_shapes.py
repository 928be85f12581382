"""HTTP API shapes (spec 2.1-2.3): `/api/run/{path}` runs any kind of function, the default format
follows the Convex-Client header, `/api/function` takes an admin key. Run as: python http_api_shapes.py URL ADMIN_KEY"""
import http.client
import json
import sys
import urllib.parse

url, admin_key = sys.argv[1], sys.argv[2]
parsed = urllib.parse.urlparse(url)
failures = []


def post(path, body, headers=None):
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    connection.request("POST", path, body=json.dumps(body), headers=all_headers)
    response = connection.getresponse()
    text = response.read().decode()
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


def check(condition, message):
    if not condition:
        failures.append(message)


# /api/run/{path} runs any kind of function, actions included (spec 2.1).
status, body = post("/api/run/items/nap", {"args": {"ms": 1}})
check(status == 200 and body.get("status") == "success" and body.get("value") == 1, f"/api/run of an action: {status} {body}")
status, body = post("/api/run/items/add", {"args": {"tag": "run", "n": 2}})
check(status == 200 and body.get("status") == "success", f"/api/run of a mutation: {status} {body}")

# Default format without `format`: clean JSON for python >= 0.5.0 and npm >= 1.4.1 (spec 2.1).
value = {"$integer": "BQAAAAAAAAA="}
for client in ["python-0.8.1", "npm-1.17.0"]:
    status, body = post("/api/query", {"path": "items:echo", "args": {"value": value}}, {"Convex-Client": client})
    check(status == 200 and body.get("value") == "5", f"no format from {client} should be clean JSON ('5'): {status} {body}")
status, body = post("/api/query", {"path": "items:echo", "args": {"value": value}, "format": "convex_encoded_json"})
check(body.get("value") == value, f"encoded format: {body}")

# Non-2xx answers carry code and message.
status, body = post("/api/function", {"path": "items:count", "args": {}}, {"Authorization": f"Convex {admin_key}"})
check(status == 200 and isinstance(body, dict) and body.get("status") == "success", f"/api/function with an admin key: {status} {body!r}")

if failures:
    print("FAILED:\n" + "\n".join(failures))
    sys.exit(1)
print("http: all checks passed")
