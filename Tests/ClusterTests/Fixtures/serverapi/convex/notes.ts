import { ConvexError, v } from "convex/values";
import { internal } from "./_generated/api";
import { action, internalMutation, internalQuery, mutation, query } from "./_generated/server";
import { api } from "./_generated/api";

export const count = query({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => (await ctx.db.query("notes").withIndex("by_tag", (q) => q.eq("tag", tag)).collect()).length,
});

export const countInternal = internalQuery({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => (await ctx.db.query("notes").withIndex("by_tag", (q) => q.eq("tag", tag)).collect()).length,
});

export const addTwo = internalMutation({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => {
    await ctx.db.insert("notes", { body: "a", tag });
    await ctx.db.insert("notes", { body: "b", tag });
  },
});

export const addThenRefuse = internalMutation({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => {
    await ctx.db.insert("notes", { body: "undone", tag });
    throw new ConvexError({ refused: tag });
  },
});

// Calls other functions in its transaction: their writes and reads are its own, a failed one's undone.
export const compose = mutation({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => {
    await ctx.db.insert("notes", { body: "first", tag });
    await ctx.runMutation(internal.notes.addTwo, { tag });
    let refused = null;
    try {
      await ctx.runMutation(internal.notes.addThenRefuse, { tag });
    } catch (error) {
      refused = error.data;
    }
    return { seen: await ctx.runQuery(internal.notes.countInternal, { tag }), refused };
  },
});

export const clock = mutation({
  args: {},
  handler: async () => {
    const now = Date.now();
    return { integral: Number.isInteger(now), asBigInt: BigInt(now), sameAsDate: new Date().getTime() === now };
  },
});

export const urls = query({
  args: {},
  handler: async () => ({ cloud: process.env.CONVEX_CLOUD_URL ?? null, site: process.env.CONVEX_SITE_URL ?? null }),
});

export const big = query({
  args: { mib: v.number() },
  handler: async (_, { mib }) => "x".repeat(mib * 1024 * 1024),
});

export const store = mutation({
  args: { extra: v.any() },
  handler: async (ctx, { extra }) => {
    const id = await ctx.db.insert("notes", { body: "stored", tag: "extra", extra });
    return (await ctx.db.get(id))?.extra;
  },
});

export const refuseWithBigint = mutation({
  args: {},
  handler: async () => {
    throw new ConvexError({ count: 2n });
  },
});

// An action's runQuery meets the same cap on the query's result.
export const bigFromAction = action({
  args: {},
  handler: async (ctx) => {
    try {
      await ctx.runQuery(api.notes.big, { mib: 17 });
      return "returned";
    } catch (error) {
      return error.message;
    }
  },
});
