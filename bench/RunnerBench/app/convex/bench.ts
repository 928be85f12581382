import { mutation, query } from "./_generated/server";

export const empty = query(async () => null);

export const tenByIndex = query(async (ctx) =>
  ctx.db.query("items").withIndex("by_group", (q) => q.eq("group", "g")).take(10));

export const insert = mutation(async (ctx) => ctx.db.insert("items", { group: "other", n: 1 }));

// One transaction of many writes: its commit must stay linear in the writes.
export const insertMany = mutation(async (ctx, { count }: { count: number }) => {
  for (let n = 0; n < count; n++) await ctx.db.insert("items", { group: "bulk", n });
});
