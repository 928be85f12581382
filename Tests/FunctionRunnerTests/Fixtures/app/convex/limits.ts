import { v } from "convex/values";
import { mutation, query } from "./_generated/server";

const kibibytes = (n: number) => "x".repeat(n << 10);

export const bigResult = query({ args: { kib: v.number() }, handler: async (_, { kib }) => kibibytes(kib) });

export const insertThenReturnBig = mutation({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("messages", { body: "never committed", author: "big" });
    return kibibytes(2048);
  },
});

export const spinForever = query({
  args: {},
  handler: async () => {
    for (;;) {}
  },
});

// Holds a large string when the watchdog stops it.
export const spinHoldingMemory = query({
  args: { mib: v.number() },
  handler: async (_, { mib }) => {
    const held = ["x".repeat(mib << 20)];
    for (;;) held.push(held[0].length);
  },
});
