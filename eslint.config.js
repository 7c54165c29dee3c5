import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { builtinModules } from "node:module";

// The browser client and what it shares with the terminal client must not pull Node into the page.
const browserSafe = {
  paths: [
    ...builtinModules,
    "ws",
    "env-paths",
    "open",
    "ink",
    "react",
    "pino",
    "better-sqlite3",
    "pg",
    "ioredis",
  ],
  patterns: [
    { group: ["node:*"], message: "browser-safe code may not import Node modules" },
    {
      group: [
        "**/hub/**",
        "**/peer/**",
        "**/tui/**",
        "**/cli/**",
        "**/client/index.js",
        "**/client/node-*",
        "**/client/known-hubs.js",
        "**/client/p2p*",
        // from inside src/client/core
        "../index.js",
        "../node-*",
        "../known-hubs.js",
        "../p2p*",
      ],
      message: "browser-safe code imports only src/protocol, src/client/core and src/ui",
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "bench/results/", "data/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: [
      "src/client/core/**/*.ts",
      "src/ui/**/*.ts",
      "src/web/**/*.ts",
      "src/web/**/*.tsx",
      "src/protocol/**/*.ts",
    ],
    rules: { "no-restricted-imports": ["error", browserSafe] },
  },
);
