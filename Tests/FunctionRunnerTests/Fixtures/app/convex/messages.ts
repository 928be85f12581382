import { paginationOptsValidator } from "convex/server";
import { ConvexError, v } from "convex/values";
import { internalQuery, mutation, query } from "./_generated/server";

export const list = query({
  args: {},
  handler: async (ctx) => ctx.db.query("messages").collect(),
});

export const send = mutation({
  args: { body: v.string(), author: v.optional(v.string()), n: v.optional(v.number()) },
  handler: async (ctx, { body, author, n }) => ctx.db.insert("messages", { body, author: author ?? "anon", n }),
});

export const sendLogged = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    console.log("sending", body);
    return await ctx.db.insert("messages", { body, author: "anon" });
  },
});

// Fails when run again after it committed: a retry must find the first commit instead of running.
export const claimOnce = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    const all = await ctx.db.query("messages").collect();
    if (all.some((m) => m.body === body)) throw new Error(`${body} is taken`);
    return await ctx.db.insert("messages", { body, author: "anon" });
  },
});

export const whoami = query({
  args: {},
  handler: async (ctx) => (await ctx.auth.getUserIdentity())?.name ?? null,
});

export const byAuthor = query({
  args: { author: v.string() },
  handler: (ctx, { author }) =>
    ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", author)).order("desc").collect(),
});

export const authorsBetween = query({
  args: { from: v.string(), to: v.string() },
  handler: async (ctx, { from, to }) =>
    (await ctx.db.query("messages").withIndex("by_author", (q) => q.gte("author", from).lt("author", to)).collect()).map((m) => m.author),
});

export const page = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: (ctx, { paginationOpts }) => ctx.db.query("messages").paginate(paginationOpts),
});

export const get = query({
  args: { id: v.id("messages") },
  handler: (ctx, { id }) => ctx.db.get(id),
});

export const getWithTable = query({
  args: { id: v.string() },
  handler: (ctx, { id }) => ctx.db.get("messages", id),
});

export const edit = mutation({
  args: { id: v.id("messages"), body: v.optional(v.string()), n: v.optional(v.number()), clearN: v.optional(v.boolean()) },
  handler: async (ctx, { id, body, n, clearN }) => {
    await ctx.db.patch(id, clearN ? { n: undefined } : { body, n });
    return await ctx.db.get(id);
  },
});

export const editWithTable = mutation({
  args: { id: v.string(), body: v.string() },
  handler: async (ctx, { id, body }) => {
    await ctx.db.patch("messages", id, { body });
    return await ctx.db.get(id);
  },
});

export const replaceKeepingSystemFields = mutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    const doc = await ctx.db.get(id);
    await ctx.db.replace(id, { ...doc, body: "replaced", author: "r" });
    return await ctx.db.get(id);
  },
});

export const remove = mutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    await ctx.db.delete(id);
    return await ctx.db.get(id);
  },
});

export const filtered = query({
  args: { above: v.number() },
  handler: (ctx, { above }) =>
    ctx.db.query("messages").filter((q) => q.and(q.gt(q.field("n"), above), q.neq(q.field("author"), "mallory"))).collect(),
});

export const firstAndTake = query({
  args: {},
  handler: async (ctx) => ({
    first: await ctx.db.query("messages").first(),
    two: await ctx.db.query("messages").order("desc").take(2),
  }),
});

export const uniqueByAuthor = query({
  args: { author: v.string() },
  handler: (ctx, { author }) => ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", author)).unique(),
});

export const iterate = query({
  args: {},
  handler: async (ctx) => {
    const bodies = [];
    for await (const m of ctx.db.query("messages")) bodies.push(m.body);
    return bodies;
  },
});

export const sendAndReadBack = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    const id = await ctx.db.insert("messages", { body, author: "self" });
    await ctx.db.patch(id, { n: 7 });
    const mine = await ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", "self")).collect();
    return { seen: mine.map((m) => m.body), n: (await ctx.db.get(id)).n };
  },
});

export const failWithData = mutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("messages", { body: "never", author: "x" });
    throw new ConvexError({ code: 42 });
  },
});

export const boom = query({ args: {}, handler: () => { throw new Error("boom"); } });

export const spin = query({ args: {}, handler: () => { for (;;) {} } });

export const deterministic = query({
  args: {},
  handler: () => [Math.random(), Math.random(), Date.now(), new Date().getTime()],
});

export const chatty = query({
  args: {},
  handler: () => {
    console.log("hello", 1, { a: [1, "x"] });
    console.warn("careful");
    console.error(new Error("bad").message);
    return null;
  },
});

export const wrongReturn = query({ args: {}, returns: v.string(), handler: () => 5 });

export const secret = internalQuery({ args: {}, handler: () => "internal" });

export const readAll = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("messages").collect()).length,
});

export const bytesAndInts = query({
  args: { i: v.int64(), b: v.bytes() },
  handler: (_, { i, b }) => ({ i: i * 2n, len: b.byteLength, nan: NaN, negZero: -0 }),
});

export const insertMany = mutation({
  args: { count: v.number() },
  handler: async (ctx, { count }) => {
    for (let i = 0; i < count; i++) await ctx.db.insert("messages", { body: `m${i}`, author: "bulk" });
  },
});

export const normalize = query({
  args: { id: v.string() },
  handler: (ctx, { id }) => [ctx.db.normalizeId("messages", id), ctx.db.normalizeId("counters", id)],
});

export const insertThenSpin = mutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("messages", { body: "half-done", author: "spinner" });
    for (;;) {}
  },
});

export const arithmeticFilter = query({
  args: {},
  handler: async (ctx) => {
    const ns = (docs) => docs.map((d) => d.n);
    const all = ctx.db.query("messages");
    return {
      orNot: ns(await all.filter((q) => q.or(q.eq(q.field("n"), 1), q.not(q.lt(q.field("n"), 4)))).collect()),
      lteGte: ns(await all.filter((q) => q.and(q.gte(q.field("n"), 2), q.lte(q.field("n"), 3))).collect()),
      math: ns(await all.filter((q) => q.eq(q.mod(q.add(q.mul(q.field("n"), 2), q.sub(3, 1)), 4), 0)).collect()),
      divNeg: ns(await all.filter((q) => q.lt(q.neg(q.div(q.field("n"), 2)), -1)).collect()),
    };
  },
});

export const readTwoDocuments = query({
  args: { a: v.id("messages"), b: v.id("messages") },
  handler: async (ctx, { a, b }) => [await ctx.db.get(a), await ctx.db.get(b)].length,
});

export const writeBig = mutation({
  args: { size: v.number() },
  handler: async (ctx, { size }) => ctx.db.insert("messages", { body: "x".repeat(size), author: "big" }),
});
