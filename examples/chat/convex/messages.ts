import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

export const list = query({
  args: {},
  handler: async (ctx) => {
    const messages = await ctx.db.query("messages").order("desc").take(100);
    return messages.reverse().map(({ body, author }) => ({ body, author }));
  },
});

export const send = mutation({
  args: { body: v.string(), author: v.optional(v.string()) },
  handler: async (ctx, { body, author }) => {
    await ctx.db.insert("messages", { body, author: author ?? "anonymous" });
    return { ok: true, count: (await ctx.db.query("messages").collect()).length };
  },
});

export const echo = query({
  args: { value: v.any() },
  handler: (_, { value }) => value,
});

// Posts without reading anything, so concurrent posts never conflict (the benchmark's mutation).
export const post = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    await ctx.db.insert("messages", { body, author: "anonymous" });
  },
});
