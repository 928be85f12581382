"""examples/tasks, deployed with `converge deploy`, driven through the official Python client; environment
variables are changed with `converge env` (the binary is in $CONVERGE_BIN, the settings in the environment).

Run as: python examples_tasks.py URL ADMIN_KEY   (exits non-zero on the first failed check)
"""
import os
import signal
import subprocess
import sys

from convex import ConvexClient, ConvexError, ConvexInt64

url, admin_key = sys.argv[1], sys.argv[2]


def expired(*_):
    raise TimeoutError("no answer in time")


signal.signal(signal.SIGALRM, expired)
signal.alarm(90)


def converge(*args):
    return subprocess.run([os.environ["CONVERGE_BIN"], *args], capture_output=True, text=True, timeout=30)


def fails(call, text):
    try:
        call()
    except Exception as error:
        assert text in str(error) or text in str(getattr(error, "data", "")), f"expected {text!r} in {error!r}"
        return error
    raise AssertionError(f"expected a failure with {text!r}")


me, teammate = ConvexClient(url), ConvexClient(url)
summary = iter(teammate.subscribe("tasks:summary", {}))
assert next(summary) == {"todo": 0, "doing": 0, "done": 0}

project = me.mutation("projects:create", {"name": "launch"})
ids = {}
for title, priority, tags in [("write docs", 2, ["docs"]), ("fix bug", 5, ["bug", "urgent"]), ("plan", 1, [])]:
    ids[title] = me.mutation("tasks:create", {"title": title, "priority": ConvexInt64(priority), "tags": tags, "project": project})
# The teammate's summary follows my writes (intermediate counts may be skipped, never the last one).
while (current := next(summary)) != {"todo": 3, "doing": 0, "done": 0}:
    assert current["todo"] < 3, current

todo = me.query("tasks:byStatus", {"status": "todo"})
assert [t["title"] for t in todo] == ["fix bug", "write docs", "plan"], "highest priority first, by the two-field index"
assert todo[0]["priority"] == ConvexInt64(5) and todo[0]["owner"] == "nobody" and todo[0]["tags"] == ["bug", "urgent"]

me.mutation("tasks:setStatus", {"id": ids["fix bug"], "status": "doing"})
assert [t["title"] for t in me.query("tasks:byStatus", {"status": "doing"})] == ["fix bug"]
assert me.query("projects:withTasks", {"name": "launch"})["titles"] == ["write docs", "fix bug", "plan"]

# Validators: literals, int64, IDs of the right table, nested objects.
fails(lambda: me.mutation("tasks:setStatus", {"id": ids["plan"], "status": "blocked"}), "ArgumentValidationError")
fails(lambda: me.mutation("tasks:create", {"title": "float", "priority": 1.5}), "ArgumentValidationError")
fails(lambda: me.mutation("tasks:setStatus", {"id": project, "status": "done"}), "ArgumentValidationError")
fails(lambda: me.mutation("tasks:create", {"title": "d", "priority": ConvexInt64(1), "details": {"note": 3, "links": []}}), "ArgumentValidationError")
me.mutation("tasks:create", {"title": "detailed", "priority": ConvexInt64(0), "details": {"note": "n", "links": ["https://example.com"]}})

# Due dates through the owner/due index.
for title, due in [("soon", 100.0), ("later", 500.0), ("someday", None)]:
    args = {"title": title, "priority": ConvexInt64(1), "owner": "carol"}
    if due is not None:
        args["due"] = due
    me.mutation("tasks:create", args)
assert [t["title"] for t in me.query("tasks:dueFor", {"owner": "carol", "before": 200.0})] == ["soon"]
assert [t["title"] for t in me.query("tasks:dueFor", {"owner": "carol", "before": 1000.0})] == ["soon", "later"]

# The schema checks writes that no argument validator did.
admin = ConvexClient(url)
admin.set_admin_auth(admin_key)
fails(lambda: admin.mutation("tasks:importRaw", {"task": {"title": "raw", "status": "todo", "priority": 1.0, "owner": "x", "tags": []}}),
      'does not match the schema')

# Environment variables: read at module load (DEFAULT_OWNER) and at call time (MAX_TASKS), changed without a redeploy.
assert me.query("tasks:settings") == {"defaultOwner": "nobody", "maxTasks": None}
assert converge("env", "set", "DEFAULT_OWNER", "alice").returncode == 0
assert converge("env", "set", "MAX_TASKS", "8").returncode == 0
assert me.query("tasks:settings") == {"defaultOwner": "alice", "maxTasks": "8"}
created = me.mutation("tasks:create", {"title": "mine", "priority": ConvexInt64(3)})
assert [t["owner"] for t in me.query("tasks:byStatus", {"status": "todo"}) if t["id"] == created] == ["alice"]
error = fails(lambda: me.mutation("tasks:create", {"title": "one too many", "priority": ConvexInt64(1)}), "TooManyTasks")
assert error.data == {"code": "TooManyTasks", "limit": 8.0}, error.data
assert converge("env", "remove", "MAX_TASKS").returncode == 0
me.mutation("tasks:create", {"title": "allowed again", "priority": ConvexInt64(1)})

# An archived project takes no tasks.
assert me.mutation("projects:archive", {"name": "launch"}) is True
fails(lambda: me.mutation("tasks:create", {"title": "late", "priority": ConvexInt64(1), "project": project}), "NoSuchProject")

signal.alarm(0)
print("examples tasks: all checks passed")
