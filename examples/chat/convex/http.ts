import { httpRouter } from "convex/server";
import { api } from "./_generated/api";
import { httpAction } from "./_generated/server";

// Served on the site URL (`converge serve --site-port`, 3211 by default).
const http = httpRouter();

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

http.route({
  path: "/messages",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const { body } = await request.json();
    const result = await ctx.runMutation(api.messages.send, { body });
    return json(result, 201);
  }),
});

http.route({
  path: "/messages",
  method: "GET",
  handler: httpAction(async (ctx) => json(await ctx.runQuery(api.messages.list, {}))),
});

// Echoes what it was sent, to show how requests reach a handler.
http.route({
  pathPrefix: "/echo/",
  method: "POST",
  handler: httpAction(async (ctx, request) => {
    const url = new URL(request.url);
    const bytes = new Uint8Array(await request.arrayBuffer());
    const identity = await ctx.auth.getUserIdentity();
    return new Response(bytes, {
      headers: {
        "content-type": request.headers.get("content-type") ?? "application/octet-stream",
        "x-path": url.pathname,
        "x-query": url.searchParams.get("q") ?? "",
        "x-user": identity?.subject ?? "anonymous",
      },
    });
  }),
});

http.route({
  path: "/fail",
  method: "GET",
  handler: httpAction(async () => {
    throw new Error("this route always fails");
  }),
});

export default http;
