import { v } from "convex/values";
import { action } from "./_generated/server";
import { api, internal } from "./_generated/api";

export const doit = action({
  args: {},
  handler: async (ctx) => {
    const messages = await ctx.runQuery(api.messages.list, {});
    return BigInt(messages.length) + 7n;
  },
});

// An action that writes through an internal mutation and reads back through a query.
export const sendFromAction = action({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    const id = await ctx.runMutation(internal.messages.insertInternal, { body, author: "action" });
    const mine = await ctx.runQuery(api.messages.byAuthor, { author: "action" });
    return { id, mine };
  },
});
