import { ConvexError } from "convex/values";
import { mutation, query } from "./_generated/server";

export const convex = mutation({
  args: {},
  handler: async () => { throw new ConvexError({ code: 42 }); },
});

export const plain = query({
  args: {},
  handler: async () => { throw new Error("boom"); },
});
