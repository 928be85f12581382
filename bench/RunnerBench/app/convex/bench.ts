import { mutation, query } from "./_generated/server";

export const empty = query(async () => null);

export const tenByIndex = query(async (ctx) =>
  ctx.db.query("items").withIndex("by_group", (q) => q.eq("group", "g")).take(10));

export const insert = mutation(async (ctx) => ctx.db.insert("items", { group: "other", n: 1 }));
