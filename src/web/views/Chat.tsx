/** The chat screen: sidebar, the open conversation with its header and composer, and the member list. */
import type { JSX } from "preact";
import { parseKey } from "../../client/core/index.js";
import { connectionText } from "../../ui/status-text.js";
import { STATUS_VIEW, viewTitle } from "../../ui/view-keys.js";
import type { WebApp } from "../app/controller.js";
import { Composer } from "./Composer.js";
import { Members } from "./Members.js";
import { MessagePane } from "./MessagePane.js";
import { Sidebar } from "./Sidebar.js";

function Header({ app }: { app: WebApp }): JSX.Element {
  const state = app.state.value!;
  const view = app.view.value;
  const parsed = parseKey(view);
  const conv = app.conversation(view, state);
  const room = parsed?.kind === "room" ? state.rooms[parsed.name] : undefined;
  const status = app.status.value!;
  const unreadElsewhere = app
    .views(state)
    .reduce((n, v) => n + (v !== view ? (app.conversation(v, state)?.unread ?? 0) : 0), 0);
  const c = app.client;
  const name = parsed?.name ?? "";
  const subtitle = room
    ? (room.info.description ?? "No topic")
    : parsed?.kind === "dm"
      ? state.online.includes(name)
        ? "online"
        : "offline"
      : "Hub notices and command output";
  return (
    <header class="top">
      <button
        type="button"
        class="icon phone-only"
        aria-label="Show conversations"
        aria-expanded={app.panel.value === "sidebar"}
        onClick={() => (app.panel.value = app.panel.value === "sidebar" ? "none" : "sidebar")}
      >
        ☰
        {unreadElsewhere > 0 ? (
          <span class="badge small" aria-label={`${unreadElsewhere} unread elsewhere`}>
            {unreadElsewhere}
          </span>
        ) : null}
      </button>
      <div class="title">
        <h1>
          {view === STATUS_VIEW ? "Status" : viewTitle(view)}
          {room?.info.moderated ? (
            <span class="role flag" title="Only the owner, admins and voiced members may post">
              moderated
            </span>
          ) : null}
          {room?.info.secret ? (
            <span class="role flag" title="Not listed to non-members">
              secret
            </span>
          ) : null}
        </h1>
        <p class="topic">{subtitle}</p>
      </div>
      <span
        class={`conn conn-${status.state}`}
        role="status"
        aria-label={`Connection: ${connectionText(status)}`}
      >
        {status.state === "online" ? "●" : "○"} <span class="conn-text">{connectionText(status)}</span>
        {state.outbox.length > 0 ? <span class="queued"> · {state.outbox.length} waiting</span> : null}
      </span>
      <button
        type="button"
        class="icon"
        aria-label="Search messages"
        title="Search messages (or /search WORDS)"
        onClick={() => void app.searchMessages()}
      >
        🔍
      </button>
      {conv ? (
        <div class="actions">
          <button type="button" onClick={() => void app.attempt(() => c.mute(conv.key, !conv.muted))}>
            {conv.muted ? "Unmute" : "Mute"}
          </button>
          {room ? (
            <>
              {room.myRole === "owner" || room.myRole === "admin" || room.info.topicLocked === false ? (
                <button
                  type="button"
                  class="wide-only"
                  onClick={() =>
                    void app
                      .ask(`Topic of #${room.name} (empty removes it)`, false)
                      .then((topic) =>
                        app.attempt(() =>
                          c.call("room.update", {
                            room: room.name,
                            description: topic.trim() === "" ? null : topic,
                          }),
                        ),
                      )
                      .catch(() => {})
                  }
                >
                  Topic
                </button>
              ) : null}
              <button
                type="button"
                onClick={() =>
                  app.confirm({
                    title: `Leave #${room.name}?`,
                    text:
                      room.myRole === "owner"
                        ? "You are the owner: the longest-standing admin (or member) becomes owner."
                        : "You can join again later unless the room is locked.",
                    action: "Leave",
                    run: () => c.leaveRoom(room.name),
                  })
                }
              >
                Leave
              </button>
              {room.myRole === "owner" ? (
                <button
                  type="button"
                  class="danger wide-only"
                  onClick={() =>
                    app.confirm({
                      title: `Delete #${room.name}?`,
                      text: "The room and all its history are deleted for everyone. Type the room's name to confirm.",
                      action: "Delete",
                      typeToConfirm: room.name,
                      run: async () => void (await c.call("room.delete", { room: room.name })),
                    })
                  }
                >
                  Delete
                </button>
              ) : null}
              <button
                type="button"
                class="icon"
                aria-label="Members"
                aria-expanded={app.panel.value === "members"}
                onClick={() => (app.panel.value = app.panel.value === "members" ? "none" : "members")}
              >
                Members <span class="count">{Object.keys(room.members).length}</span>
              </button>
            </>
          ) : parsed?.kind === "dm" ? (
            <button
              type="button"
              onClick={() => {
                const blocked = state.blocked.includes(name);
                if (blocked) void app.attempt(() => c.block(name, false));
                else
                  app.confirm({
                    title: `Block ${name}?`,
                    text: `${name}'s direct messages stop reaching you. They are not told.`,
                    action: "Block",
                    run: () => c.block(name, true),
                  });
              }}
            >
              {state.blocked.includes(name) ? "Unblock" : "Block"}
            </button>
          ) : null}
        </div>
      ) : null}
    </header>
  );
}

export function Chat({ app }: { app: WebApp }): JSX.Element {
  const state = app.state.value!;
  const parsed = parseKey(app.view.value);
  const room = parsed?.kind === "room" ? state.rooms[parsed.name] : undefined;
  return (
    <div class={`chat${room ? " with-members" : ""}`}>
      <Sidebar app={app} />
      <main class="pane">
        <Header app={app} />
        <MessagePane app={app} />
        <Composer app={app} />
      </main>
      {room ? <Members app={app} room={room} /> : null}
      {app.panel.value !== "none" ? (
        <button
          type="button"
          class="scrim"
          aria-label="Close panel"
          onClick={() => (app.panel.value = "none")}
        />
      ) : null}
    </div>
  );
}
