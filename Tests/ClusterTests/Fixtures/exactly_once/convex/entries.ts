import { ConvexError, v } from "convex/values";
import { mutationGeneric as mutation, queryGeneric as query } from "convex/server";

// Each answer depends on what was there before it, so a second run after any other write would
// answer differently from the first: the tests tell a recorded outcome from a re-run by that.

export const add = mutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    const before = (await ctx.db.query("entries").collect()).length;
    await ctx.db.insert("entries", { key });
    return before;
  },
});

export const refuse = mutation({
  args: {},
  handler: async (ctx) => {
    const count = (await ctx.db.query("entries").collect()).length;
    console.log(`refusing at ${count}`);
    throw new ConvexError({ count });
  },
});

// `add`, after spinning for `spins` loop turns: long enough for a re-send to arrive while it runs.
export const slowAdd = mutation({
  args: { key: v.string(), spins: v.number() },
  handler: async (ctx, { key, spins }) => {
    let x = 0;
    for (let i = 0; i < spins; i++) x = (x * 31 + i) % 1000003;
    const before = (await ctx.db.query("entries").collect()).length;
    await ctx.db.insert("entries", { key, x });
    return before;
  },
});

export const keys = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("entries").collect()).map((e) => e.key),
});

// Inserts without reading: concurrent writers never conflict (for load while roles are killed).
export const put = mutation({
  args: { key: v.string() },
  handler: async (ctx, { key }) => {
    await ctx.db.insert("entries", { key });
  },
});
