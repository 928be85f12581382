import { v, ConvexError } from "convex/values";
import { action, mutation, query } from "./_generated/server";
import { api } from "./_generated/api";

export const byTag = query({
  args: { tag: v.string() },
  handler: async (ctx, { tag }) => {
    const rows = await ctx.db.query("items").collect();
    return rows.filter((r) => r.tag === tag).map((r) => r.n);
  },
});

export const add = mutation({
  args: { tag: v.string(), n: v.number() },
  handler: async (ctx, { tag, n }) => {
    await ctx.db.insert("items", { tag, n });
    return n;
  },
});

export const fail = mutation({
  args: {},
  handler: async () => { throw new Error("plain failure"); },
});

export const convexFail = mutation({
  args: {},
  handler: async () => { throw new ConvexError("nope"); },
});

export const queryConvexFail = query({
  args: {},
  handler: async () => { throw new ConvexError({ why: 1 }); },
});

export const nap = action({
  args: { ms: v.number() },
  handler: async (ctx, { ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    await ctx.runMutation(api.items.add, { tag: "napped", n: ms });
    return ms;
  },
});

export const count = query({
  args: {},
  handler: async (ctx) => (await ctx.db.query("items").collect()).length,
});

export const echo = query({
  args: { value: v.any() },
  handler: (_, { value }) => value,
});
