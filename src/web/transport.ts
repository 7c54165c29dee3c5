/**
 * The browser's transport for the shared SDK core: the page's own WebSocket. The browser checks the
 * hub's certificate (the one the user accepted, or a real one); there is no fingerprint pinning here.
 * Browsers answer the hub's pings themselves and do not show them, so the link is judged by its close.
 */
import { HubUnreachableError, type Transport } from "../client/core/index.js";
import { SUBPROTOCOL } from "../protocol/limits.js";

export function browserTransport(): Transport {
  return {
    open(address, timeoutMs, listener) {
      return new Promise((resolve, reject) => {
        let ws: WebSocket;
        try {
          ws = new WebSocket(address.url, SUBPROTOCOL);
        } catch (error) {
          reject(new HubUnreachableError(address.url, error as Error));
          return;
        }
        ws.binaryType = "arraybuffer";
        let opened = false;
        const timer = setTimeout(() => {
          ws.close();
          reject(new HubUnreachableError(address.url, new Error(`no answer within ${timeoutMs} ms`)));
        }, timeoutMs);
        ws.onopen = () => {
          clearTimeout(timer);
          if (ws.protocol !== SUBPROTOCOL) {
            ws.close();
            reject(new HubUnreachableError(address.url, new Error(`the hub did not accept ${SUBPROTOCOL}`)));
            return;
          }
          opened = true;
          resolve({
            socket: {
              get isOpen() {
                return ws.readyState === WebSocket.OPEN;
              },
              sendText(text, onError) {
                try {
                  ws.send(text);
                } catch (error) {
                  onError(error as Error);
                }
              },
              sendBinary(frame) {
                if (ws.readyState === WebSocket.OPEN) ws.send(frame);
              },
              close(code, reason) {
                ws.close(code, reason);
              },
              terminate() {
                // Browsers have no abrupt close; a close frame is the fastest way out.
                ws.close();
                listener.onClose(1006, "closed by the client");
              },
            },
          });
        };
        ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
          if (typeof event.data === "string") listener.onText(event.data);
          else listener.onBinary(new Uint8Array(event.data));
        };
        ws.onclose = (event) => {
          clearTimeout(timer);
          if (!opened) {
            reject(new HubUnreachableError(address.url, new Error(`connection closed (${event.code})`)));
            return;
          }
          listener.onClose(event.code, event.reason);
        };
      });
    },
  };
}

/** The hub's WebSocket address: the page's own host, `/v1`. */
export function hubUrlOf(location: Location): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1`;
}
