import { v } from "convex/values";
import { api, internal } from "./_generated/api";
import { action } from "./_generated/server";

export const sendTwiceAndCount = action({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    await ctx.runMutation(api.messages.send, { body, author: "action" });
    await ctx.runMutation(api.messages.send, { body: body + "!", author: "action" });
    const all = await ctx.runQuery(api.messages.byAuthor, { author: "action" });
    return { count: all.length, who: (await ctx.auth.getUserIdentity())?.name ?? null };
  },
});

export const echoId = action({
  args: { id: v.id("messages") },
  handler: async (_, { id }) => id,
});

export const callsInternal = action({
  args: {},
  handler: async (ctx) => ctx.runQuery(internal.messages.secret, {}),
});
