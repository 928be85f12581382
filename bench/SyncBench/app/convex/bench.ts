import { queryGeneric as query } from "convex/server";
import { v } from "convex/values";

// About two milliseconds of JavaScript and no reads: what scales with runner processes alone.
export const spin = query({
  args: { n: v.number() },
  handler: (_, { n }) => {
    let x = n;
    for (let i = 0; i < 300_000; i++) x = (x * 31 + i) % 1_000_003;
    return x;
  },
});
