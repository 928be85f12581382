import { v } from "convex/values";
import { action, query } from "./_generated/server";

export const globals = query({
  args: {},
  handler: async () => {
    const bytes = new TextEncoder().encode("héllo 🌍");
    const url = new URL("https://user@example.com:8443/a/./b/../c?x=1&y=two+words#frag");
    url.searchParams.append("z", "3&4");
    const params = new URLSearchParams({ q: "a b", n: "1" });
    const headers = new Headers({ "Content-Type": "text/plain" });
    headers.append("X-Many", "1");
    headers.append("x-many", "2");
    const controller = new AbortController();
    let aborted = false;
    controller.signal.addEventListener("abort", () => { aborted = true; });
    controller.abort();
    const original = { a: [1, { b: 2 }], d: new Date(5) };
    const copy = structuredClone(original);
    const response = Response.json({ ok: true }, { status: 201 });
    return {
      utf8Length: bytes.length,
      roundTrip: new TextDecoder().decode(bytes),
      base64: btoa("hi!"),
      unbase64: atob("aGkh"),
      href: url.href,
      host: url.host,
      pathname: url.pathname,
      y: url.searchParams.get("y"),
      relative: new URL("../up?q=1", "https://example.com/a/b/c").href,
      params: params.toString(),
      contentType: headers.get("content-type"),
      many: headers.get("X-MANY"),
      aborted,
      cloneIsDeep: copy.a[1] !== original.a[1] && copy.a[1].b === 2 && copy.d.getTime() === 5,
      uuid: crypto.randomUUID(),
      blobText: await new Blob(["ab", new Uint8Array([99])]).text(),
      status: response.status,
      json: await response.json(),
    };
  },
});

export const tryFetch = query({
  args: {},
  handler: async () => {
    const refused = [];
    for (const attempt of [() => fetch("http://127.0.0.1/"), () => setTimeout(() => {}, 1)]) {
      try { await attempt(); } catch (e) { refused.push(e.message); }
    }
    return refused;
  },
});

export const fetchAndWait = action({
  args: { url: v.string() },
  handler: async (_, { url }) => {
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waited = Date.now() - started;
    const response = await fetch(url);
    return { waited, status: response.status, text: await response.text(), type: response.headers.get("content-type") };
  },
});
