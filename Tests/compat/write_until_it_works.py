"""Sends messages:send over HTTP every 20 ms until one succeeds (at most 30 s); prints how long it took.

Run as: python write_until_it_works.py URL ADMIN_KEY BODY   (against examples/chat)"""
import sys
import time

from convex.http_client import ConvexHttpClient

url, body = sys.argv[1], sys.argv[3]
client = ConvexHttpClient(url)
start = time.time()
while True:
    try:
        client.mutation("messages:send", {"body": body})
        break
    except Exception as error:
        if time.time() - start > 30:
            print(f"no write succeeded within 30 s: {error}")
            sys.exit(1)
        time.sleep(0.02)
print(f"written after {time.time() - start:.2f} s")
print("all checks passed")
