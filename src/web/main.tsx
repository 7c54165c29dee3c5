/** The browser client's entry: builds the app on the shared SDK core and renders it. */
import { render } from "preact";
import { WebApp } from "./app/controller.js";
import { App } from "./views/App.js";

const app = new WebApp({
  location: window.location,
  storage: window.localStorage,
  document,
  ...(typeof Notification !== "undefined"
    ? { notify: (title: string, options: NotificationOptions) => void new Notification(title, options) }
    : {}),
});
app.start();
window.addEventListener("online", () => app.networkBack());
render(<App app={app} />, document.getElementById("app")!);

// Installable, and opens while the hub is unreachable. Not on plain http off localhost (not allowed there).
if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/sw.js").catch(() => {
    // A browser that refuses (a self-signed certificate, say) still runs the app.
  });
}
