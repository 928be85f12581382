import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

// Pages of messages, by creation time, by author (all, or one), optionally skipping some bodies: the
// page's bodies with the rest of its result.
export const of = query({
  args: {
    paginationOpts: paginationOptsValidator,
    author: v.optional(v.string()),
    byAuthor: v.optional(v.boolean()),
    skip: v.optional(v.string()),
    order: v.optional(v.string()),
  },
  handler: async (ctx, { paginationOpts, author, byAuthor, skip, order }) => {
    let q = author !== undefined
      ? ctx.db.query("messages").withIndex("by_author", (r) => r.eq("author", author))
      : byAuthor ? ctx.db.query("messages").withIndex("by_author") : ctx.db.query("messages");
    if (order === "desc") q = q.order("desc");
    if (skip !== undefined) q = q.filter((f) => f.neq(f.field("body"), skip));
    const result = await q.paginate(paginationOpts);
    return { ...result, page: result.page.map((m) => m.body) };
  },
});

export const twice = query({
  args: {},
  handler: async (ctx) => {
    await ctx.db.query("messages").paginate({ numItems: 1, cursor: null });
    await ctx.db.query("counters").paginate({ numItems: 1, cursor: null });
    return "both ran";
  },
});

// The error a page of a foreign cursor throws, as the function can catch it.
export const caught = query({
  args: { cursor: v.string() },
  handler: async (ctx, { cursor }) => {
    try {
      await ctx.db.query("messages").withIndex("by_author", (r) => r.eq("author", "nobody")).paginate({ numItems: 1, cursor });
      return null;
    } catch (error) {
      return { name: error.name, data: error.data ?? null };
    }
  },
});

export const insertAll = mutation({
  args: { bodies: v.array(v.string()), author: v.optional(v.string()) },
  handler: async (ctx, { bodies, author }) => {
    const ids = [];
    for (const body of bodies) ids.push(await ctx.db.insert("messages", { body, author: author ?? "anon" }));
    return ids;
  },
});

// A mutation paginates the same way, its own writes included.
export const insertThenPage = mutation({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    await ctx.db.insert("messages", { body, author: "anon" });
    const result = await ctx.db.query("messages").paginate({ numItems: 100, cursor: null });
    return result.page.map((m) => m.body);
  },
});
