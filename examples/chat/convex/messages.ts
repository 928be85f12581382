import { paginationOptsValidator } from "convex/server";
import { ConvexError, v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server";

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

// One page of messages, oldest first, with their IDs and likes (for usePaginatedQuery-style clients).
export const page = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) => {
    const result = await ctx.db.query("messages").paginate(paginationOpts);
    return { ...result, page: result.page.map((m) => ({ id: m._id, body: m.body, likes: m.likes ?? 0 })) };
  },
});

export const remove = mutation({
  args: { id: v.id("messages") },
  handler: async (ctx, { id }) => {
    await ctx.db.delete(id);
  },
});

export const byAuthor = query({
  args: { author: v.string() },
  handler: async (ctx, { author }) =>
    (await ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", author)).collect()).map((m) => m.body),
});

export const like = mutation({
  args: { id: v.id("messages") },
  returns: v.number(),
  handler: async (ctx, { id }) => {
    const message = await ctx.db.get(id);
    if (message === null) throw new ConvexError({ code: "NotFound", id });
    const likes = (message.likes ?? 0) + 1;
    await ctx.db.patch(id, { likes });
    return likes;
  },
});

// Only other functions may call this one (see actions:sendFromAction).
export const insertInternal = internalMutation({
  args: { body: v.string(), author: v.string() },
  handler: async (ctx, { body, author }) => ctx.db.insert("messages", { body, author }),
});
