import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const increment = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const counter = await ctx.db.query("counters").withIndex("by_name", (q) => q.eq("name", name)).unique();
    if (counter === null) {
      await ctx.db.insert("counters", { name, value: 1n });
      return 1n;
    }
    await ctx.db.patch(counter._id, { value: counter.value + 1n });
    return counter.value + 1n;
  },
});

export const get = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) =>
    (await ctx.db.query("counters").withIndex("by_name", (q) => q.eq("name", name)).unique())?.value ?? 0n,
});

// A default export is the function `counters:default`, callable as `counters`.
export default query(async (ctx) => (await ctx.db.query("counters").collect()).length);
