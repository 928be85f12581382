import { ConvexError, v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation, internalQuery, mutation, query } from "./_generated/server";

export const count = internalQuery({
  args: { author: v.string() },
  returns: v.number(),
  handler: async (ctx, { author }) =>
    (await ctx.db.query("messages").withIndex("by_author", (q) => q.eq("author", author)).collect()).length,
});

export const insertTwo = internalMutation({
  args: { author: v.string() },
  handler: async (ctx, { author }) => {
    await ctx.db.insert("messages", { body: "one", author });
    await ctx.db.insert("messages", { body: "two", author });
    return { inserted: 2 };
  },
});

export const insertThenThrow = internalMutation({
  args: { author: v.string() },
  handler: async (ctx, { author }) => {
    await ctx.db.insert("messages", { body: "undone", author });
    throw new ConvexError({ code: "refused" });
  },
});

export const returnsWrongType = internalQuery({
  args: {},
  returns: v.string(),
  handler: async () => 42,
});

// A mutation that calls others in its own transaction: each sees what came before it, and what the
// failing one wrote is undone while the rest stays.
export const outer = mutation({
  args: { author: v.string() },
  handler: async (ctx, { author }) => {
    await ctx.db.insert("messages", { body: "outer", author });
    const afterOuter = await ctx.runQuery(internal.nested.count, { author });
    const inserted = await ctx.runMutation(internal.nested.insertTwo, { author });
    const afterTwo = await ctx.runQuery(internal.nested.count, { author });
    let caught = null;
    try {
      await ctx.runMutation(internal.nested.insertThenThrow, { author });
    } catch (error) {
      caught = { isConvexError: error instanceof ConvexError, data: error.data };
    }
    const afterFailure = await ctx.runQuery(internal.nested.count, { author });
    return { afterOuter, inserted, afterTwo, caught, afterFailure };
  },
});

// An error a nested mutation throws, not caught, fails the whole mutation: nothing is written.
export const outerFails = mutation({
  args: { author: v.string() },
  handler: async (ctx, { author }) => {
    await ctx.runMutation(internal.nested.insertTwo, { author });
    await ctx.runMutation(internal.nested.insertThenThrow, { author });
  },
});

export const queryCallsQuery = query({
  args: { author: v.string() },
  handler: async (ctx, { author }) => ({
    count: await ctx.runQuery(internal.nested.count, { author }),
    hasRunMutation: typeof ctx.runMutation,
  }),
});

export const misuse = query({
  args: { what: v.string() },
  handler: async (ctx, { what }) => {
    try {
      if (what === "args") await ctx.runQuery(internal.nested.count, { author: 7 });
      if (what === "kind") await ctx.runQuery(internal.nested.insertTwo, { author: "x" });
      if (what === "returns") await ctx.runQuery(internal.nested.returnsWrongType, {});
      if (what === "missing") await ctx.runQuery("nested:nothing", {});
      return "no error";
    } catch (error) {
      return error.message;
    }
  },
});

// The clock of a query or mutation: whole milliseconds, the same all run long, the same for Date.
export const clockInQuery = query({ args: {}, handler: async () => clock() });
export const clockInMutation = mutation({ args: {}, handler: async () => clock() });

function clock() {
  const first = Date.now();
  let spin = 0;
  for (let i = 0; i < 200000; i++) spin += i;
  return {
    integral: Number.isInteger(first),
    frozen: Date.now() === first && spin > 0,
    sameAsDate: new Date().getTime() === first,
    bigint: BigInt(Date.now()).toString() === String(first),
    dateName: Date.name,
  };
}

// A ConvexError's message writes its data's bigints as `2n`, as the convex package does.
export const bigintError = query({
  args: {},
  handler: async () => {
    throw new ConvexError({ n: 2n, list: [1n, "x"] });
  },
});

export const tooNested = mutation({
  args: {},
  handler: async (ctx) => {
    let deep: any = "bottom";
    for (let i = 0; i < 20; i++) deep = { deeper: deep };
    await ctx.db.insert("unschematized", { deep });
  },
});
