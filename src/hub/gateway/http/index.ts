/** The hub's HTTP routes, assembled: the web client unless --no-web. Other parts add theirs to the router. */
import type { Logger } from "pino";
import { HttpRouter } from "./router.js";
import { addWebRoutes, defaultWebRoot, loadWebAssets } from "./static.js";

export { HttpRouter, SECURITY_HEADERS, sendText, type HttpHandler, type HttpRoute } from "./router.js";

export interface HttpOptions {
  /** Serve the browser client at `/` (false: --no-web). */
  web: boolean;
  /** Where the built client is; default dist/web of this package. */
  webRoot?: string;
}

export async function createHttpRouter(options: HttpOptions, log: Logger): Promise<HttpRouter> {
  const router = new HttpRouter(log);
  if (options.web) {
    const root = options.webRoot ?? defaultWebRoot();
    const assets = await loadWebAssets(root);
    if (!assets) log.warn({ root }, "the web client is not built (npm run build); / explains that");
    addWebRoutes(router, assets);
  }
  return router;
}
