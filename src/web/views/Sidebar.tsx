/** The conversations: the status view, rooms and direct messages with unread badges, then your own controls. */
import type { JSX } from "preact";
import { parseKey } from "../../client/core/index.js";
import { STATUS_VIEW, viewTitle, type ViewKey } from "../../ui/view-keys.js";
import type { WebApp } from "../app/controller.js";

function Entry({ app, view }: { app: WebApp; view: ViewKey }): JSX.Element {
  const state = app.state.value!;
  const conv = app.conversation(view, state);
  const parsed = parseKey(view);
  const unread = conv?.unread ?? 0;
  const current = app.view.value === view;
  const online = parsed?.kind === "dm" ? state.online.includes(parsed.name) : undefined;
  const label = view === STATUS_VIEW ? "Status" : viewTitle(view);
  return (
    <li>
      <button
        type="button"
        class={`entry${current ? " current" : ""}${conv?.muted ? " muted" : ""}${unread > 0 ? " unread" : ""}`}
        aria-current={current ? "page" : undefined}
        onClick={() => app.switchTo(view)}
      >
        {online !== undefined ? (
          <span class={`dot ${online ? "on" : "off"}`} aria-label={online ? "online" : "offline"} />
        ) : null}
        <span class="name">{label}</span>
        {unread > 0 ? (
          <span class="badge" aria-label={`${unread} unread`}>
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
    </li>
  );
}

export function Sidebar({ app }: { app: WebApp }): JSX.Element {
  const state = app.state.value!;
  const views = app.views(state);
  const rooms = views.filter((v) => v.startsWith("room:"));
  const dms = views.filter((v) => v.startsWith("dm:"));
  const me = state.me;
  const permission = app.notificationPermission.value;
  return (
    <div class={`sidebar${app.panel.value === "sidebar" ? " open" : ""}`}>
      <nav aria-label="Conversations">
        <ul>
          <Entry app={app} view={STATUS_VIEW} />
        </ul>
        <div class="section">
          <h2>Rooms</h2>
          <button
            type="button"
            class="icon"
            aria-label="Create a room"
            title="Create a room"
            onClick={() => (app.dialog.value = { kind: "create-room" })}
          >
            +
          </button>
        </div>
        <ul>
          {rooms.map((v) => (
            <Entry key={v} app={app} view={v} />
          ))}
        </ul>
        <button type="button" class="link pad" onClick={() => (app.dialog.value = { kind: "join-room" })}>
          Browse and join rooms…
        </button>
        <div class="section">
          <h2>Direct messages</h2>
          <button
            type="button"
            class="icon"
            aria-label="New direct message"
            title="New direct message"
            onClick={() => (app.dialog.value = { kind: "new-dm" })}
          >
            +
          </button>
        </div>
        <ul>
          {dms.map((v) => (
            <Entry key={v} app={app} view={v} />
          ))}
        </ul>
      </nav>
      <div class="me">
        <div class="who">
          <span class="dot on" aria-hidden="true" />
          <span>
            <strong>{me?.displayName ?? me?.username}</strong>
            {me && me.displayName !== me.username ? <small> @{me.username}</small> : null}
          </span>
        </div>
        <div class="row">
          <button type="button" onClick={() => (app.dialog.value = { kind: "profile" })}>
            Profile
          </button>
          {permission === "default" ? (
            <button type="button" onClick={() => void app.enableNotifications()}>
              Enable notifications
            </button>
          ) : null}
          <button
            type="button"
            aria-label="Keyboard shortcuts"
            title="Keyboard shortcuts (?)"
            onClick={() => (app.dialog.value = { kind: "keys" })}
          >
            ⌨
          </button>
          <button type="button" onClick={() => void app.logout()}>
            Log out
          </button>
        </div>
      </div>
    </div>
  );
}
