import { action } from "./_generated/server";
import { api } from "./_generated/api";

export const doit = action({
  args: {},
  handler: async (ctx) => {
    const messages = await ctx.runQuery(api.messages.list, {});
    return BigInt(messages.length) + 7n;
  },
});
