// Fixtures for ReviewFindingsTests: each function reproduces one suspected bug.
import { ConvexError, v } from "convex/values";
import { api } from "./_generated/api";
import { action, mutation, query } from "./_generated/server";

// Insert a document and delete it again in the same mutation (a no-op in Convex).
export const insertThenDelete = mutation({
  args: {},
  handler: async (ctx) => {
    const id = await ctx.db.insert("messages", { body: "temp", author: "tmp" });
    await ctx.db.delete(id);
    return await ctx.db.get(id);
  },
});

// Reads a table that does not exist yet.
export const readMissingTable = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("notyet").collect()).length,
});

// Inserts into a table that does not exist yet.
export const insertIntoNewTable = mutation({
  args: {},
  handler: async (ctx) => ctx.db.insert("notyet", { x: 1 }),
});

// Reads a table that may have been created after the snapshot.
export const readLateTable = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("late").collect()).length,
});

export const randomToken = mutation({
  args: {},
  handler: async () => Math.random(),
});

// Two timers racing: the short one should win at once.
export const raceTimers = action({
  args: { long: v.number(), short: v.number() },
  handler: async (_, { long, short }) => {
    const sleep = (ms, tag) => new Promise((resolve) => setTimeout(() => resolve(tag), ms));
    return await Promise.race([sleep(long, "long"), sleep(short, "short")]);
  },
});

// A cancelled timer must not delay anything.
export const cancelledTimer = action({
  args: { ms: v.number() },
  handler: async (_, { ms }) => {
    const t = setTimeout(() => {}, ms);
    clearTimeout(t);
    await new Promise((resolve) => setTimeout(resolve, 1));
    return "done";
  },
});

// One long wait: only the wall-clock limit can stop it.
export const sleepOnce = action({
  args: { ms: v.number() },
  handler: async (_, { ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return "woke";
  },
});

// setTimeout with an infinite delay (Node and browsers clamp it to 1 ms).
export const infiniteTimeout = action({
  args: {},
  handler: async () => {
    await new Promise((resolve) => setTimeout(resolve, Infinity));
    return "ok";
  },
});

// CPU spread over several microtasks, each well under the limit, together well over it.
export const spinInMicrotasks = query({
  args: { rounds: v.number(), iterations: v.number() },
  handler: async (_, { rounds, iterations }) => {
    let x = 0;
    for (let r = 0; r < rounds; r++) {
      await null;
      for (let i = 0; i < iterations; i++) x = (x + i) % 1000003;
    }
    return x;
  },
});

export const insertRaw = mutation({
  args: { doc: v.any() },
  handler: async (ctx, { doc }) => ctx.db.insert("messages", doc),
});

// Convex: eq(field, undefined) selects documents without the field.
export const authorUndefined = query({
  args: {},
  handler: async (ctx) =>
    (await ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", undefined)).collect()).map((m) => m.body),
});

export const logCircular = query({
  args: {},
  handler: () => {
    const a = { name: "a" };
    a.self = a;
    console.log(a);
    return "logged";
  },
});

export const logString = query({
  args: {},
  handler: () => {
    console.log("hello");
    return null;
  },
});

export const firstOnly = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("messages").first())?.body ?? null,
});

export const paginateSmall = query({
  args: { numItems: v.number() },
  handler: async (ctx, { numItems }) => (await ctx.db.query("messages").paginate({ numItems, cursor: null })).page.length,
});

export const pageByAuthor = query({
  args: { cursor: v.union(v.string(), v.null()), numItems: v.number(), endCursor: v.optional(v.union(v.string(), v.null())) },
  handler: async (ctx, { cursor, numItems, endCursor }) => {
    const r = await ctx.db.query("messages").withIndex("by_author").paginate({ cursor, numItems, endCursor });
    return { authors: r.page.map((m) => m.author), isDone: r.isDone, continueCursor: r.continueCursor };
  },
});

// ConvexError thrown by a mutation an action calls must reach the action as a ConvexError with its data.
export const catchConvexError = action({
  args: {},
  handler: async (ctx) => {
    try {
      await ctx.runMutation(api.messages.failWithData, {});
      return "no error";
    } catch (e) {
      return { isConvexError: e instanceof ConvexError, data: e.data ?? null, message: e.message };
    }
  },
});

export const rethrowConvexError = action({
  args: {},
  handler: async (ctx) => {
    await ctx.runMutation(api.messages.failWithData, {});
  },
});

export const argsOnly = query({
  args: { name: v.string() },
  handler: (_, args) => Object.keys(args),
});

// Counts "late" in a mutation and swallows any error: a transaction that began on a stale catalog
// must still run again with the current one.
export const countLateInMutation = mutation({
  args: {},
  handler: async (ctx) => {
    try {
      return (await ctx.db.query("late").collect()).length;
    } catch {
      return -1;
    }
  },
});

// Takes an ID of "late" as its argument: validating it asks the catalog before anything is read.
export const acceptLateId = mutation({
  args: { id: v.id("late") },
  handler: async (ctx, { id }) => ctx.db.normalizeId("late", id),
});

// Reads messages by an index the test creates after the runner's client cached the catalog.
export const countByBodyInMutation = mutation({
  args: {},
  handler: async (ctx) => (await ctx.db.query("messages").withIndex("by_body" as any).collect()).length,
});
