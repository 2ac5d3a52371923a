import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Rebuilds dist/ when src/ changed: the CLI tests run the compiled bin/pocval.js.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Vitest's default on 2 cores is one worker (cores - 1), so the suite ran file after file while
    // the end-to-end files mostly wait for blocks and windows. Two files at a time overlap those
    // waits (three made the end-to-end files starve each other on a loaded machine; issue 24).
    maxWorkers: 2,
  },
});
