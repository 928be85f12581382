import { queryGeneric as query } from "convex/server";

// auth.config.ts is written next to this file by the test, with the URL of its OIDC issuer.
export const me = query({
  args: {},
  handler: async (ctx) => await ctx.auth.getUserIdentity(),
});
