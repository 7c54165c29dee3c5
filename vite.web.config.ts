/** Builds the browser client (src/web) into dist/web, which the hub serves at `/`. */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL("./src/web", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  publicDir: "public",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("./dist/web", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // Hashed names under /assets/: the hub caches them for a year.
    assetsDir: "assets",
    // No inline scripts or data: URLs for code, so the CSP needs no unsafe-inline.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
