"""User JWTs (`set_auth`) against `converge serve` with Tests/ClusterTests/Fixtures/auth, whose auth.config.ts
names an OIDC issuer served by the test and a customJwt provider with an inline JWKS.

Run as: python user_auth.py URL ADMIN_KEY ISSUER OIDC CUSTOM EXPIRED WRONG_AUDIENCE FORGED CLAIMS_OVERRIDE NO_EXP WRONG_ALG SHORT_LIVED
"""
import sys

from convex import ConvexClient
from convex.http_client import ConvexHttpClient
from raw_ws import Closed, connect


def until_closed(ws, timeout):
    """Every message but pings, until the server closes the socket."""
    seen = []
    try:
        while True:
            message = ws.recv(timeout=timeout)
            if message["type"] != "Ping":
                seen.append(message)
    except Closed:
        return seen

url, admin_key, issuer, oidc, custom, expired, wrong_audience, forged, claims_override, no_exp, wrong_alg, short_lived = sys.argv[1:13]

# First, while it is still valid: a token that expires a few seconds from now. The session runs as
# that user until then, and then gets an AuthError and is closed.
expiring = connect(url)
expiring.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": short_lived})
expiring.send({"type": "ModifyQuerySet", "baseVersion": 0, "newVersion": 1, "modifications": [
    {"type": "Add", "queryId": 0, "udfPath": "whoami:me", "args": [{}]}]})
answered = expiring.recv_until(lambda m: m["type"] == "Transition" and m["modifications"])[-1]
assert answered["modifications"][0]["value"]["name"] == "Ada", answered
after_expiry = until_closed(expiring, timeout=12)
assert [m["type"] for m in after_expiry] == ["AuthError"], after_expiry
assert "expired" in after_expiry[0]["error"] and after_expiry[0]["authUpdateAttempted"] is False, after_expiry

http = ConvexHttpClient(url)
assert http.query("whoami:me") is None, "no token, no identity"

http.set_auth(oidc)
me = http.query("whoami:me")
assert me["tokenIdentifier"] == f"{issuer}|user-1", me
assert me["subject"] == "user-1" and me["issuer"] == issuer, me
assert me["name"] == "Ada" and me["email"] == "ada@example.com" and me["emailVerified"] is True, me
assert me["pictureUrl"] == "https://example.com/ada.png", "OpenID claims get Convex's names"
assert me["team"] == "blue", "custom claims pass through"
assert "exp" not in me and "aud" not in me, me

http.set_auth(custom)
them = http.query("whoami:me")
assert them["tokenIdentifier"] == "https://custom.example|user-2", them

http.set_auth(claims_override)
spoofed = http.query("whoami:me")
assert spoofed["tokenIdentifier"] == f"{issuer}|user-1" and spoofed["subject"] == "user-1", "claims cannot replace identity fields"

# The wrong-algorithm token (an ES256 signature under an RS256 header) comes first: it must not
# change how the issuer's key (which names no algorithm) checks the tokens after it.
for token, why in [(wrong_alg, "algorithm"), (expired, "hasn't expired"), (wrong_audience, "No auth provider found"),
                   (forged, "signature"), (no_exp, "exp")]:
    client = ConvexHttpClient(url)
    client.set_auth(token)
    try:
        client.query("whoami:me")
        raise AssertionError(f"a bad token was accepted ({why})")
    except AssertionError:
        raise
    except Exception as error:
        assert "401" in str(error) and why in str(error), str(error)

http.set_auth(oidc)
assert http.query("whoami:me")["name"] == "Ada", "the issuer's key still checks ES256 tokens"

live = ConvexClient(url)
live.set_auth(oidc)
assert live.query("whoami:me")["name"] == "Ada", "the sync protocol's Authenticate User"
live.set_auth(custom)
assert live.query("whoami:me")["subject"] == "user-2", "a new identity on the same socket"
live.clear_auth()
assert live.query("whoami:me") is None

# A bad token on the socket: AuthError (not FatalError), then the socket closes.
ws = connect(url)
ws.send({"type": "Authenticate", "baseVersion": 0, "tokenType": "User", "value": forged})
messages = until_closed(ws, timeout=10)
assert [m["type"] for m in messages] == ["AuthError"], messages
assert messages[0]["authUpdateAttempted"] is True and messages[0]["baseVersion"] == 0, messages

print("user auth: all checks passed")
