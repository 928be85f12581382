import { action } from "./_generated/server";

// Waits on timers rather than burning CPU: only the wall-clock limit can stop it.
export const sleepForever = action({
  args: {},
  handler: async () => { for (;;) await new Promise((resolve) => setTimeout(resolve, 50)); },
});
