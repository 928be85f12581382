"""GET /version and /metrics on `converge serve` with examples/chat, after calls over both protocols.

Run as: python metrics.py URL ADMIN_KEY   (exits non-zero on the first failed check)
"""
import re
import sys
import urllib.request

from convex import ConvexClient
from convex.http_client import ConvexHttpClient

url, admin_key = sys.argv[1], sys.argv[2]


def get(path):
    with urllib.request.urlopen(url + path, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read().decode()


status, _, version = get("/version")
assert status == 200 and version.startswith("converge "), version

live = ConvexClient(url)
subscription = live.subscribe("messages:list")
assert next(iter(subscription)) == [], "the subscription's first result"
http = ConvexHttpClient(url)
http.mutation("messages:send", {"body": "counted"})
for _ in range(3):
    http.query("messages:list")
try:
    http.query("errors:plain")
except Exception:
    pass

status, content_type, text = get("/metrics")
assert status == 200 and content_type.startswith("text/plain"), content_type


def sample(pattern):
    match = re.search("^" + pattern + r" ([0-9.e+]+)$", text, re.MULTILINE)
    assert match, f"no sample {pattern} in:\n{text}"
    return float(match.group(1))


assert sample(r'converge_function_calls_total\{function="messages:list",kind="query",outcome="success"\}') >= 3
assert sample(r'converge_function_calls_total\{function="messages:send",kind="mutation",outcome="success"\}') == 1
assert sample(r'converge_function_calls_total\{function="errors:plain",kind="query",outcome="error"\}') == 1
assert sample(r'converge_function_duration_seconds_count\{function="messages:send",kind="mutation"\}') == 1
assert sample(r'converge_runners\{pool="db"\}') == 1
assert sample(r'converge_runners\{pool="action"\}') == 1
assert sample(r"converge_sync_sessions") == 1
assert sample(r"converge_live_queries") == 1
assert sample(r"converge_storage_subscriptions") >= 1
lookups, executions = sample("converge_query_cache_lookups_total"), sample("converge_query_cache_executions_total")
assert executions < lookups, f"one-shot HTTP queries at one snapshot share a run: {executions} runs for {lookups} calls"
assert "# HELP converge_function_calls_total" in text
assert re.search(r"^hb_requests", text, re.MULTILINE), "HTTP request metrics through swift-metrics"

print("metrics: all checks passed")
